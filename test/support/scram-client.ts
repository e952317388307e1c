// The client side of SCRAM (RFC 5802 §3), written from the RFC, for tests that compare
// brokers over the raw protocol. The broker package's unit tests keep their own copy
// (services/broker/test/auth/sasl/scram-client.ts): packages do not import each other's tests.

import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export type Hash = 'sha1' | 'sha256' | 'sha512';

export class ScramClient {
  private readonly bare: string;
  private authMessage = '';
  private saltedPassword = Buffer.alloc(0);

  private readonly hash: Hash;
  private readonly password: string;
  private readonly nonce: string;

  constructor(hash: Hash, user: string, password: string, nonce: string) {
    this.hash = hash;
    this.password = password;
    this.nonce = nonce;
    this.bare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  }

  first(): string {
    return `n,,${this.bare}`;
  }

  /**
   * client-final for server-first (the proof computed from the password). `repeatNonce`
   * sends the client nonce again in front of the server's, as librdkafka does.
   */
  final(serverFirst: string, passwordOverride?: string, repeatNonce = false): string {
    const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    if (!attrs.r!.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    const size = createHash(this.hash).digest().length;
    this.saltedPassword = pbkdf2Sync(passwordOverride ?? this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), size, this.hash);
    const withoutProof = `c=biws,r=${repeatNonce ? this.nonce : ''}${attrs.r}`;
    this.authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac(this.hash, this.saltedPassword).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const signature = createHmac(this.hash, storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** The server signature the server must send (v=...). */
  expectedServerFinal(): string {
    const serverKey = createHmac(this.hash, this.saltedPassword).update('Server Key').digest();
    return `v=${createHmac(this.hash, serverKey).update(this.authMessage).digest('base64')}`;
  }
}
