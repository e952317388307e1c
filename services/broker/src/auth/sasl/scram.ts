// SCRAM (RFC 5802, with RFC 7677's SHA-256 and Kafka's SHA-512): the salted credential
// a server keeps instead of a password, and the server side of one exchange —
// client-first → server-first → client-final → server-final. No channel binding (gs2 'n'
// or 'y', never 'p'), as Kafka. The server learns only H(ClientKey) and ServerKey, so a
// stolen store does not give passwords or let anyone log in.

import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_MIN_ITERATIONS, SCRAM_NONCE_BYTES } from './mechanisms.ts';
import type { ScramHash } from './mechanisms.ts';

/** What a server stores for one user and one SCRAM mechanism. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  /** H(HMAC(SaltedPassword, "Client Key")) */
  readonly storedKey: Buffer;
  /** HMAC(SaltedPassword, "Server Key") */
  readonly serverKey: Buffer;
}

const hmac = (hash: ScramHash, key: Buffer, data: string | Buffer): Buffer => createHmac(hash, key).update(data).digest();
const digest = (hash: ScramHash, data: Buffer): Buffer => createHash(hash).update(data).digest();
const keyLength = (hash: ScramHash): number => createHash(hash).digest().length;

function fromSaltedPassword(hash: ScramHash, salt: Buffer, iterations: number, saltedPassword: Buffer): ScramCredential {
  return { salt, iterations, storedKey: digest(hash, hmac(hash, saltedPassword, 'Client Key')), serverKey: hmac(hash, saltedPassword, 'Server Key') };
}

/** The credential for a password (startup: bootstrap users; blocks for one PBKDF2). */
export function scramCredential(hash: ScramHash, password: string, salt: Buffer, iterations: number): ScramCredential {
  if (iterations < SCRAM_MIN_ITERATIONS) throw new RangeError(`SCRAM iterations must be at least ${SCRAM_MIN_ITERATIONS} (got ${iterations})`);
  return fromSaltedPassword(hash, salt, iterations, pbkdf2Sync(password.normalize('NFKC'), salt, iterations, keyLength(hash), hash));
}

/**
 * Whether `password` is the one `credential` was made from, comparing H(ClientKey) in
 * constant time; PBKDF2 runs on the thread pool so a login does not stall the broker.
 * PLAIN is checked this way, against the SCRAM credential: no clear password is kept.
 */
export async function passwordMatches(hash: ScramHash, credential: ScramCredential, password: string): Promise<boolean> {
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password.normalize('NFKC'), credential.salt, credential.iterations, keyLength(hash), hash, (err, key) => (err ? reject(err) : resolve(key))),
  );
  const candidate = fromSaltedPassword(hash, credential.salt, credential.iterations, salted);
  return timingSafeEqual(candidate.storedKey, credential.storedKey);
}

/** A SCRAM exchange failed; `message` is for the log, never containing a secret. */
export class ScramError extends Error {}

/** RFC 5802 §5.1 saslname: ',' and '=' are written =2C and =3D; any other '=' is malformed. */
function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramError('malformed user name (a "=" not followed by 2C or 3D)');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits `a=1,b=2` into ordered [key, value] pairs; every attribute is one letter. */
function attributes(text: string): [string, string][] {
  return text.split(',').map((part) => {
    if (!/^[a-zA-Z]=/.test(part)) throw new ScramError(`malformed attribute "${part.slice(0, 2)}…"`);
    return [part[0]!, part.slice(2)];
  });
}

export interface ScramServerOptions {
  readonly hash: ScramHash;
  /** The server's part of the nonce; crypto randomness unless a test fixes it. */
  readonly serverNonce?: () => string;
}

/** What client-first says: who, and the state the server needs to answer. */
export interface ClientFirst {
  readonly user: string;
  readonly gs2Header: string;
  readonly bare: string;
  readonly clientNonce: string;
}

/** Parses client-first-message (gs2-header + client-first-message-bare). */
export function parseClientFirst(message: string): ClientFirst {
  const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
  if (m === null) throw new ScramError(message.startsWith('p') ? 'channel binding is not supported' : 'malformed client-first message');
  const gs2Header = message.slice(0, message.length - m[3]!.length);
  const bare = m[3]!;
  // Kafka's one extension (tokenauth=true: a delegation token) is not supported here.
  if (/(^|,)tokenauth=/.test(bare)) throw new ScramError('delegation tokens are not supported');
  const attrs = attributes(bare);
  if (attrs[0]?.[0] === 'm') throw new ScramError('mandatory extension not supported');
  if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r') throw new ScramError('client-first message must start with n= and r=');
  const user = decodeSaslName(attrs[0][1]);
  const clientNonce = attrs[1][1];
  if (user === '' || clientNonce === '') throw new ScramError('empty user name or nonce');
  const authzid = m[2] === undefined ? '' : decodeSaslName(m[2].slice(2));
  if (authzid !== '' && authzid !== user) throw new ScramError('authorization id differs from the user name');
  return { user, gs2Header, bare, clientNonce };
}

/**
 * The server side of one exchange after client-first: `serverFirst` is sent, then
 * `finish(clientFinal)` checks the proof and gives server-final.
 */
export class ScramServerExchange {
  readonly serverFirst: string;
  readonly client: ClientFirst;
  private readonly credential: ScramCredential;
  private readonly nonce: string;
  private readonly hash: ScramHash;

  constructor(client: ClientFirst, credential: ScramCredential, options: ScramServerOptions) {
    this.client = client;
    this.credential = credential;
    this.hash = options.hash;
    const serverNonce = options.serverNonce?.() ?? randomBytes(SCRAM_NONCE_BYTES).toString('base64url');
    this.nonce = client.clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
  }

  /** Checks client-final-message; returns server-final-message (`v=ServerSignature`) or throws ScramError. */
  finish(clientFinal: string): string {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final message without a proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r') throw new ScramError('client-final message must start with c= and r=');
    if (attrs[0][1] !== Buffer.from(this.client.gs2Header).toString('base64')) throw new ScramError('channel binding data differs from the client-first message');
    // Kafka's ScramSaslServer accepts a nonce that ends with the server-first's: librdkafka
    // sends its client nonce once more in front of it. The proof still covers what was sent.
    if (!attrs[1][1].endsWith(this.nonce)) throw new ScramError('invalid nonce in the client-final message');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.client.bare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.hash, this.credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('invalid client proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(digest(this.hash, clientKey), this.credential.storedKey)) throw new ScramError('invalid client proof');
    return `v=${hmac(this.hash, this.credential.serverKey, authMessage).toString('base64')}`;
  }
}
