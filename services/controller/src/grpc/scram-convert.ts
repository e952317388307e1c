// SCRAM credentials between ControllerApi's form (scram/scram-model.ts) and the gRPC
// messages. Mechanisms travel as Kafka's codes; keys and salts as bytes.

import type { ScramAlterResult, ScramDescribeResult, ScramUpsertion, ScramCredentialRecord } from '../scram/scram-model.ts';
import { isKnownScramMechanism } from '../scram/scram-model.ts';
import { fromItemError, toItemError } from './convert.ts';
import { WireFormatError } from './errors.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';

export function toPbUpsertion(u: ScramUpsertion): pb.ScramCredentialUpsertion {
  return { user: u.user, mechanism: u.mechanism, iterations: u.iterations, salt: u.salt, storedKey: u.storedKey, serverKey: u.serverKey };
}

export function fromPbUpsertion(u: pb.ScramCredentialUpsertion): ScramUpsertion {
  return { user: u.user, mechanism: u.mechanism, iterations: u.iterations, salt: Buffer.from(u.salt), storedKey: Buffer.from(u.storedKey), serverKey: Buffer.from(u.serverKey) };
}

/** A stored credential off the wire: its mechanism must be one the broker knows. */
export function fromPbStoredCredential(u: pb.ScramCredentialUpsertion): ScramCredentialRecord {
  const { mechanism } = u;
  if (!isKnownScramMechanism(mechanism)) throw new WireFormatError(`SCRAM credential with unknown mechanism ${mechanism}`);
  return { ...fromPbUpsertion(u), mechanism };
}

export function toPbAlterResult(r: ScramAlterResult): pb.UserScramAlterResult {
  return { user: r.user, error: toItemError(r) };
}

export function fromPbAlterResult(r: pb.UserScramAlterResult): ScramAlterResult {
  return { user: r.user, ...fromItemError(r.error) };
}

export function toPbDescribeResult(r: ScramDescribeResult): pb.UserScramCredentialsResult {
  return { user: r.user, error: toItemError(r), credentials: r.credentials.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) };
}

export function fromPbDescribeResult(r: pb.UserScramCredentialsResult): ScramDescribeResult {
  return { user: r.user, ...fromItemError(r.error), credentials: r.credentials.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) };
}
