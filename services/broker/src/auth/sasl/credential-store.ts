// Where SASL credentials come from. The broker asks a CredentialStore for a user's SCRAM
// credential (salt, iterations, StoredKey, ServerKey); it never sees a password except
// PLAIN's, which it checks against that credential. Today's store is built at start from
// configuration (bootstrap users, hashed then); the controller-backed store that
// AlterUserScramCredentials will write and DescribeUserScramCredentials read implements
// the same interface (it may answer asynchronously), so it plugs in unchanged.

import { randomBytes } from 'node:crypto';
import { SCRAM_HASH, SCRAM_SALT_BYTES, SCRAM_SHA_256, SCRAM_SHA_512 } from './mechanisms.ts';
import type { ScramMechanism } from './mechanisms.ts';
import { scramCredential } from './scram.ts';
import type { ScramCredential } from './scram.ts';

export interface CredentialStore {
  /** The user's credential for this mechanism, or undefined when it has none. */
  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined | Promise<ScramCredential | undefined>;
}

/** A user and the password its credentials are made from (configuration only; not kept). */
export interface BootstrapUser {
  readonly name: string;
  readonly password: string;
}

/** Credentials derived once, at start, for both SCRAM mechanisms; passwords are dropped after. */
export class StaticCredentialStore implements CredentialStore {
  private readonly credentials = new Map<string, ScramCredential>();

  constructor(users: readonly BootstrapUser[], iterations: number, salt: () => Buffer = () => randomBytes(SCRAM_SALT_BYTES)) {
    for (const user of users) {
      for (const mechanism of [SCRAM_SHA_256, SCRAM_SHA_512] as const) {
        this.credentials.set(key(user.name, mechanism), scramCredential(SCRAM_HASH[mechanism], user.password, salt(), iterations));
      }
    }
  }

  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.credentials.get(key(user, mechanism));
  }
}

const key = (user: string, mechanism: ScramMechanism): string => `${mechanism}\u0000${user}`;
