// The SASL fuzzer's SCRAM client side (RFC 5802 §3, from the RFC, no broker code):
// client-final messages for a server-first, honest or with one part wrong, and the
// server signature an honest exchange must end with. Salted passwords are cached: the
// broker's salts are fixed per user and mechanism (stand-ins for unknown users too), so
// thousands of exchanges cost a handful of PBKDF2 runs in the test process.

import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export type ScramHash = 'sha256' | 'sha512';

const salted = new Map<string, Buffer>();

function saltedPassword(hash: ScramHash, password: string, saltB64: string, iterations: number): Buffer {
  const key = `${hash}\u0000${saltB64}\u0000${iterations}\u0000${password}`;
  let s = salted.get(key);
  if (s === undefined) {
    s = pbkdf2Sync(password, Buffer.from(saltB64, 'base64'), iterations, createHash(hash).digest().length, hash);
    if (salted.size > 10_000) salted.clear();
    salted.set(key, s);
  }
  return s;
}

export interface ServerFirst {
  readonly nonce: string;
  readonly salt: string;
  readonly iterations: number;
}

/** `r=...,s=...,i=...` (any extension after it is ignored); undefined when it is not one. */
export function parseServerFirst(text: string): ServerFirst | undefined {
  const m = /^r=([^,]+),s=([A-Za-z0-9+/]+={0,2}),i=(\d+)(,.*)?$/s.exec(text);
  if (m === null) return undefined;
  return { nonce: m[1]!, salt: m[2]!, iterations: Number(m[3]) };
}

/** A saslname: ',' and '=' escaped (RFC 5802 §5.1). */
export function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export interface FinalOptions {
  readonly hash: ScramHash;
  /** The password the proof is computed from (the wrong one, for a wrong proof). */
  readonly password: string;
  /** client-first-message-bare as sent. */
  readonly bare: string;
  /** The gs2 header as sent (n,, / y,, / n,a=user,). */
  readonly gs2: string;
  readonly serverFirst: string;
  /** The nonce to send instead of the server's (a replay, a cut one). */
  readonly nonce?: string;
  /** The channel binding attribute's value instead of base64(gs2). */
  readonly channelBinding?: string;
  /** Attributes between the nonce and the proof (RFC 5802 extensions), e.g. ",x=1". */
  readonly extensions?: string;
}

export interface ClientFinal {
  readonly message: string;
  /** The v=... an honest server answers with, for this proof. */
  readonly serverFinal: string;
}

/** client-final-message with a proof over what it says; undefined when the server-first does not parse. */
export function clientFinal(o: FinalOptions): ClientFinal | undefined {
  const sf = parseServerFirst(o.serverFirst);
  if (sf === undefined) return undefined;
  const withoutProof = `c=${o.channelBinding ?? Buffer.from(o.gs2).toString('base64')},r=${o.nonce ?? sf.nonce}${o.extensions ?? ''}`;
  const sp = saltedPassword(o.hash, o.password, sf.salt, sf.iterations);
  const authMessage = `${o.bare},${o.serverFirst},${withoutProof}`;
  const clientKey = createHmac(o.hash, sp).update('Client Key').digest();
  const storedKey = createHash(o.hash).update(clientKey).digest();
  const signature = createHmac(o.hash, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const serverKey = createHmac(o.hash, sp).update('Server Key').digest();
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverFinal: `v=${createHmac(o.hash, serverKey).update(authMessage).digest('base64')}` };
}
