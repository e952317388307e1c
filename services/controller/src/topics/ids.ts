// Topic and cluster ids: 16 random bytes in Kafka's textual UUID form (URL-safe base64,
// 22 characters, no padding). Randomness is injected so a test or simulation can name
// the ids it will get. Not cryptographic: ids only need to be unique, not secret.

import type { Random } from '@stratus/runtime';

const UUID_BYTES = 16;

/** Kafka's "no topic id" (all zero bytes): what responses carry when a topic is unknown. */
export const ZERO_UUID = Buffer.alloc(UUID_BYTES).toString('base64url');
/** Kafka reserves the id with only the last bit set for its metadata topic. */
const METADATA_TOPIC_ID = Buffer.from([...Buffer.alloc(UUID_BYTES - 1), 1]).toString('base64url');

/** Bound on retries against `taken`: with 128 random bits a second try is already astronomically rare. */
const MAX_ATTEMPTS = 100;

/** A fresh id: never the zero id, never Kafka's reserved metadata id, never one in `taken`. */
export function randomUuid(random: Random, taken: (id: string) => boolean = () => false): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const bytes = Buffer.alloc(UUID_BYTES);
    for (let i = 0; i < UUID_BYTES; i++) bytes[i] = random.int(256);
    const id = bytes.toString('base64url');
    if (id !== ZERO_UUID && id !== METADATA_TOPIC_ID && !taken(id)) return id;
  }
  // Only a broken Random (e.g. one that always returns 0) gets here.
  throw new Error(`no fresh UUID after ${MAX_ATTEMPTS} attempts: is the injected Random constant?`);
}

/** Whether `id` looks like a textual UUID (22 base64url characters decoding to 16 bytes). */
export function isUuid(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id) && Buffer.from(id, 'base64url').length === UUID_BYTES;
}
