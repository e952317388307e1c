// AlterUserScramCredentials and DescribeUserScramCredentials over the stored SCRAM
// credentials (scram/scram-model.ts), with Kafka's decisions and messages:
//  - alter (ScramControlManager.alterCredentials): a user named twice in one request, in
//    deletions or upsertions or both, is DUPLICATE_RESOURCE and none of its changes apply;
//    an empty name is UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM,
//    iterations outside 4096..16384 UNACCEPTABLE_CREDENTIAL, deleting a credential the user
//    does not hold RESOURCE_NOT_FOUND; results come deletions first, then upsertions, then
//    errors (Kafka's order, each in first-seen order here where Kafka's follows a HashMap);
//  - describe (ScramImage.describe): no users (null or empty) lists every user that holds a
//    credential; a named user without any is RESOURCE_NOT_FOUND, one named twice
//    DUPLICATE_RESOURCE, each with Kafka's message ending in the name.
// Two limits of our own: a salt longer than SCRAM_MAX_SALT_BYTES or keys of the wrong size
// are UNACCEPTABLE_CREDENTIAL, and beyond maxScramCredentials new ones are POLICY_VIOLATION.

import { ErrorCode } from '@stratus/protocol';
import {
  SCRAM_MAX_ITERATIONS,
  SCRAM_MAX_SALT_BYTES,
  SCRAM_MIN_ITERATIONS,
  isKnownScramMechanism,
  scramKey,
  scramKeyBytes,
  scramToTuple,
} from '../scram/scram-model.ts';
import type { ScramAlterResult, ScramCredentialRecord, ScramDeletion, ScramDescribeResult, ScramKeyTuple, ScramUpsertion, KnownScramMechanismCode } from '../scram/scram-model.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

const CREDENTIALS_PER_RECORD = 8;
const DUPLICATE_ALTER = 'A user credential cannot be altered twice in the same request';
const DESCRIBE_DUPLICATE_USER = 'Cannot describe SCRAM credentials for the same user twice in a single request: ';
const DESCRIBE_USER_THAT_DOES_NOT_EXIST = 'Attempt to describe a user credential that does not exist: ';

interface Problem {
  readonly errorCode: number;
  readonly errorMessage: string;
}

function nameAndMechanismProblem(user: string, mechanism: number): Problem | undefined {
  if (user === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (!isKnownScramMechanism(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  return undefined;
}

function deletionProblem(s: ControllerState, d: ScramDeletion): Problem | undefined {
  const problem = nameAndMechanismProblem(d.user, d.mechanism);
  if (problem !== undefined) return problem;
  if (!s.scram.has(scramKey(d.user, d.mechanism as KnownScramMechanismCode))) return { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' };
  return undefined;
}

function upsertionProblem(u: ScramUpsertion): Problem | undefined {
  const problem = nameAndMechanismProblem(u.user, u.mechanism);
  if (problem !== undefined) return problem;
  if (u.iterations < SCRAM_MIN_ITERATIONS) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' };
  if (u.iterations > SCRAM_MAX_ITERATIONS) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' };
  if (u.salt.length > SCRAM_MAX_SALT_BYTES) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `Salt longer than ${SCRAM_MAX_SALT_BYTES} bytes` };
  const size = scramKeyBytes(u.mechanism as KnownScramMechanismCode);
  if (u.storedKey.length !== size || u.serverKey.length !== size) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `StoredKey and ServerKey must be ${size} bytes` };
  return undefined;
}

export function decideAlterScramCredentials(tx: Tx, ctx: DecideContext, deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): ScramAlterResult[] {
  const toDelete = new Map<string, ScramDeletion>();
  const toUpsert = new Map<string, ScramUpsertion>();
  const errors = new Map<string, Problem>();
  for (const d of deletions) {
    if (errors.has(d.user)) continue;
    if (toDelete.delete(d.user)) {
      errors.set(d.user, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: DUPLICATE_ALTER });
      continue;
    }
    const problem = deletionProblem(tx.state, d);
    if (problem !== undefined) errors.set(d.user, problem);
    else toDelete.set(d.user, d);
  }
  for (const u of upsertions) {
    if (errors.has(u.user)) continue;
    // Both deletes run, as in Kafka (`||` there short-circuits; a user is in one map at most, so the result is the same).
    const wasDeleted = toDelete.delete(u.user);
    const wasUpserted = toUpsert.delete(u.user);
    if (wasDeleted || wasUpserted) {
      errors.set(u.user, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: DUPLICATE_ALTER });
      continue;
    }
    const problem = upsertionProblem(u);
    if (problem !== undefined) errors.set(u.user, problem);
    else toUpsert.set(u.user, u);
  }

  const results: ScramAlterResult[] = [];
  const removed: ScramKeyTuple[] = [];
  for (const d of toDelete.values()) {
    results.push({ user: d.user, errorCode: ErrorCode.NONE, errorMessage: null });
    removed.push([d.user, d.mechanism as KnownScramMechanismCode]);
  }
  // The bound counts what the request leaves stored: deletions first, then each new credential.
  let stored = tx.state.scram.size - removed.length;
  const written: ScramCredentialRecord[] = [];
  for (const u of toUpsert.values()) {
    const mechanism = u.mechanism as KnownScramMechanismCode;
    const isNew = !tx.state.scram.has(scramKey(u.user, mechanism));
    if (isNew && stored >= ctx.options.maxScramCredentials) {
      errors.set(u.user, { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `the cluster holds its most SCRAM credentials (${ctx.options.maxScramCredentials}, controller maxScramCredentials)` });
      continue;
    }
    if (isNew) stored++;
    written.push({ user: u.user, mechanism, iterations: u.iterations, salt: u.salt, storedKey: u.storedKey, serverKey: u.serverKey });
    results.push({ user: u.user, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  for (const [user, e] of errors) results.push({ user, errorCode: e.errorCode, errorMessage: e.errorMessage });

  // Few per record: a user name may be 32 KiB (a Kafka string) and a credential carries ~200 bytes of keys, so
  // a record stays far below a journal entry's limit; the store groups records into entries.
  for (const batch of chunks(removed, CREDENTIALS_PER_RECORD)) tx.emit({ type: 'ScramCredentialsDeleted', credentials: batch });
  for (const batch of chunks(written, CREDENTIALS_PER_RECORD)) tx.emit({ type: 'ScramCredentialsUpserted', credentials: batch.map(scramToTuple) });
  return results;
}

export function describeScramCredentials(s: ControllerState, users: readonly string[] | null): ScramDescribeResult[] {
  const byUser = new Map<string, { mechanism: number; iterations: number }[]>();
  for (const c of s.scram.values()) {
    let list = byUser.get(c.user);
    if (list === undefined) byUser.set(c.user, (list = []));
    list.push({ mechanism: c.mechanism, iterations: c.iterations });
  }
  const sortedInfos = (list: { mechanism: number; iterations: number }[]) => [...list].sort((a, b) => a.mechanism - b.mechanism);
  if (users === null || users.length === 0) {
    return [...byUser.keys()].sort().map((user) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentials: sortedInfos(byUser.get(user)!) }));
  }
  const seen = new Map<string, boolean>();
  for (const user of users) seen.set(user, seen.has(user));
  return [...seen].map(([user, duplicate]): ScramDescribeResult => {
    if (duplicate) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: DESCRIBE_DUPLICATE_USER + user, credentials: [] };
    const infos = byUser.get(user);
    if (infos === undefined) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: DESCRIBE_USER_THAT_DOES_NOT_EXIST + user, credentials: [] };
    return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentials: sortedInfos(infos) };
  });
}

export function lookupScramCredential(s: ControllerState, user: string, mechanism: number): ScramCredentialRecord | undefined {
  return isKnownScramMechanism(mechanism) ? s.scram.get(scramKey(user, mechanism)) : undefined;
}
