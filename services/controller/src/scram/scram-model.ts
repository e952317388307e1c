// Kafka's SCRAM credentials as the controller stores them: per user and mechanism, the
// salt, the iteration count, StoredKey and ServerKey (RFC 5802) — never a password, nor the
// salted password a client sends (AlterUserScramCredentials carries it; the broker turns it
// into the two keys before anything is forwarded, as Kafka's ScramControlManager does before
// it writes a UserScramCredentialRecord). The codes, bounds and messages are Kafka's
// (org.apache.kafka.clients.admin.ScramMechanism, ScramControlManager, ScramImage), so
// kafka-configs.sh and AdminClient see Kafka's answers.

import { createHash, createHmac } from 'node:crypto';

/** Kafka's ScramMechanism type codes (UNKNOWN: 0). */
export const ScramMechanismCode = {
  UNKNOWN: 0,
  SCRAM_SHA_256: 1,
  SCRAM_SHA_512: 2,
} as const;
export type KnownScramMechanismCode = typeof ScramMechanismCode.SCRAM_SHA_256 | typeof ScramMechanismCode.SCRAM_SHA_512;

/** Kafka's mechanism name for each code. */
export const SCRAM_MECHANISM_NAMES: Readonly<Record<KnownScramMechanismCode, 'SCRAM-SHA-256' | 'SCRAM-SHA-512'>> = {
  [ScramMechanismCode.SCRAM_SHA_256]: 'SCRAM-SHA-256',
  [ScramMechanismCode.SCRAM_SHA_512]: 'SCRAM-SHA-512',
};

const HASHES: Readonly<Record<KnownScramMechanismCode, 'sha256' | 'sha512'>> = {
  [ScramMechanismCode.SCRAM_SHA_256]: 'sha256',
  [ScramMechanismCode.SCRAM_SHA_512]: 'sha512',
};

/** Kafka's bounds on a credential's iterations (ScramMechanism.minIterations; ScramControlManager.MAX_ITERATIONS). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;
/** Longest salt stored (Kafka sets none; kafka-configs.sh and AdminClient send 32 bytes or fewer): keeps a snapshot entry small. */
export const SCRAM_MAX_SALT_BYTES = 1024;
/** Most credentials (user × mechanism) the controller stores; AlterUserScramCredentials beyond: POLICY_VIOLATION. */
export const DEFAULT_MAX_SCRAM_CREDENTIALS = 100_000;

export function isKnownScramMechanism(code: number): code is KnownScramMechanismCode {
  return code === ScramMechanismCode.SCRAM_SHA_256 || code === ScramMechanismCode.SCRAM_SHA_512;
}

export function scramMechanismCode(name: string): KnownScramMechanismCode | undefined {
  if (name === 'SCRAM-SHA-256') return ScramMechanismCode.SCRAM_SHA_256;
  if (name === 'SCRAM-SHA-512') return ScramMechanismCode.SCRAM_SHA_512;
  return undefined;
}

/** One stored credential. */
export interface ScramCredentialRecord {
  readonly user: string;
  readonly mechanism: KnownScramMechanismCode;
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** A credential to store (AlterUserScramCredentials upsertion, keys already derived). `mechanism` may be any code: unknown ones are refused. */
export interface ScramUpsertion {
  readonly user: string;
  readonly mechanism: number;
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export interface ScramDeletion {
  readonly user: string;
  readonly mechanism: number;
}

/** Kafka's per-user result of AlterUserScramCredentials. */
export interface ScramAlterResult {
  readonly user: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** Kafka's per-user result of DescribeUserScramCredentials. */
export interface ScramDescribeResult {
  readonly user: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly credentials: readonly { readonly mechanism: number; readonly iterations: number }[];
}

/** StoredKey and ServerKey from the salted password (Kafka's ScramFormatter.storedKey(clientKey(..)) and serverKey(..)). */
export function scramKeys(mechanism: KnownScramMechanismCode, saltedPassword: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  const hash = HASHES[mechanism];
  const clientKey = createHmac(hash, saltedPassword).update('Client Key').digest();
  return { storedKey: createHash(hash).update(clientKey).digest(), serverKey: createHmac(hash, saltedPassword).update('Server Key').digest() };
}

/** Bytes of StoredKey and ServerKey for the mechanism (its digest size). */
export function scramKeyBytes(mechanism: KnownScramMechanismCode): number {
  return mechanism === ScramMechanismCode.SCRAM_SHA_256 ? 32 : 64;
}

/** The state map's key: one credential per user and mechanism. */
export function scramKey(user: string, mechanism: KnownScramMechanismCode): string {
  return `${mechanism}\u0000${user}`;
}

/** [user, mechanism, iterations, salt, storedKey, serverKey] with the bytes in base64: the journal's and snapshot's form (JSON). */
export type ScramCredentialTuple = [string, KnownScramMechanismCode, number, string, string, string];
/** [user, mechanism]: a removed credential. */
export type ScramKeyTuple = [string, KnownScramMechanismCode];

export function scramToTuple(c: ScramCredentialRecord): ScramCredentialTuple {
  return [c.user, c.mechanism, c.iterations, c.salt.toString('base64'), c.storedKey.toString('base64'), c.serverKey.toString('base64')];
}

export function scramFromTuple(t: ScramCredentialTuple): ScramCredentialRecord {
  return { user: t[0], mechanism: t[1], iterations: t[2], salt: Buffer.from(t[3], 'base64'), storedKey: Buffer.from(t[4], 'base64'), serverKey: Buffer.from(t[5], 'base64') };
}
