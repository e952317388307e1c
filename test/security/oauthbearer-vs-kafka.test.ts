// OAUTHBEARER answers of Stratus and of Apache Kafka 4.x side by side, over the raw
// protocol, for the same tokens: both validate against the same JWKS file (Stratus:
// sasl.oauthbearer.jwksFile; Kafka: OAuthBearerValidatorCallbackHandler with
// sasl.oauthbearer.jwks.endpoint.url=file://) with the same issuer, audience and
// connections.max.reauth.ms. Each exchange is reduced to what a client sees — error codes,
// messages, the server's challenge bytes, the session lifetime (to the second), whether
// the connection closed — and the two must be equal, except where written down below.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest } from '@stratus/protocol';
import type { ApiKeyNumber } from '@stratus/protocol';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const PEERS = join(ROOT, 'test', 'peers');
const ISSUER = 'https://idp.stratus.test';
const AUDIENCE = 'stratus-kafka';
const REAUTH_MS = 300_000;

let dir: string;
let stratus: ChildProcess;
let stratusOut = '';
let key: CryptoKey;
let stranger: CryptoKey;
let jwksFile: string;
let strangerJwk: Record<string, unknown>;
const ports = { stratus: 0, kafkaPlain: 0, kafkaSasl: 0, kafkaController: 0 };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-oauth-vs-kafka-'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const strangerPair = await generateKeyPair('RS256', { extractable: true });
  stranger = strangerPair.privateKey;
  strangerJwk = { ...(await exportJWK(strangerPair.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
  [ports.kafkaPlain, ports.kafkaSasl, ports.kafkaController, ports.stratus] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const props = [
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafkaPlain},CONTROLLER://127.0.0.1:${ports.kafkaController},SASL_PLAINTEXT://127.0.0.1:${ports.kafkaSasl}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafkaPlain},SASL_PLAINTEXT://127.0.0.1:${ports.kafkaSasl}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
    `sasl.oauthbearer.jwks.endpoint.url=file://${jwksFile}`,
    `sasl.oauthbearer.expected.issuer=${ISSUER}`,
    `sasl.oauthbearer.expected.audience=${AUDIENCE}`,
    `connections.max.reauth.ms=${REAUTH_MS}`,
  ].join('\n');
  // Kafka 4.x reads a JWKS URL only when a system property allows it (CVE-2025-27817);
  // kafka-broker.sh sets its own JVM flags, and the JVM takes JAVA_TOOL_OPTIONS besides.
  const kafka = run('bash', [join(PEERS, 'kafka-broker.sh'), 'start', join(dir, 'kafka'), String(ports.kafkaPlain), String(ports.kafkaController)], {
    env: { ...process.env, KAFKA_BROKER_PROPS: props, JAVA_TOOL_OPTIONS: `-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://${jwksFile}` },
    maxBuffer: 1 << 24,
  });
  const httpPort = await freePort();
  stratus = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--data-dir', join(dir, 'stratus'), '--kafka-port', String(ports.stratus), '--http-port', String(httpPort)], {
    env: {
      ...process.env,
      STRATUS_LOG_LEVEL: 'warn',
      STRATUS_SASL_LISTENERS: 'PLAINTEXT',
      STRATUS_SASL_MECHANISMS: 'OAUTHBEARER',
      STRATUS_SASL_OAUTHBEARER_JWKS_FILE: jwksFile,
      STRATUS_SASL_OAUTHBEARER_ISSUER: ISSUER,
      STRATUS_SASL_OAUTHBEARER_AUDIENCE: AUDIENCE,
      STRATUS_SASL_MAX_REAUTH: `${REAUTH_MS}ms`,
      STRATUS_SASL_FAILED_AUTHENTICATION_DELAY: '100ms',
      STRATUS_SASL_MAX_FAILURES_PER_ADDRESS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stratus.stdout!.on('data', (d: Buffer) => (stratusOut += d.toString()));
  stratus.stderr!.on('data', (d: Buffer) => (stratusOut += d.toString()));
  await kafka;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false))) {
    if (stratus.exitCode !== null || Date.now() > deadline) throw new Error(`stratus dev not ready:\n${stratusOut}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 240_000);

afterAll(async () => {
  if (stratus?.exitCode === null) {
    const exited = new Promise((resolve) => stratus.once('exit', resolve));
    stratus.kill('SIGTERM');
    await exited;
  }
  if (dir !== undefined) {
    await run('bash', [join(PEERS, 'kafka-broker.sh'), 'stop', join(dir, 'kafka')]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** One connection speaking raw frames (as in sasl-vs-kafka.test.ts): each call sends a request and reads its answer, or learns the connection closed. */
class Raw {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | undefined;
  private correlation = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<Raw> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Raw(socket);
  }

  async send<K extends ApiKeyNumber>(apiKey: K, version: number, body: unknown): Promise<Record<string, unknown> | 'closed'> {
    if (this.closed) return 'closed';
    this.socket.write(encodeRequest(apiKey, version, ++this.correlation, 'oauth-compare', body as never));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const decoded = decodeResponse(apiKey, version, frame);
        if (!decoded.ok) throw new Error(decoded.error.message);
        return decoded.value.body as unknown as Record<string, unknown>;
      }
      if (this.closed) return 'closed';
      if (Date.now() > deadline) throw new Error('no answer in 10 s');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** What a client sees of an answer: the challenge as text, the session lifetime to the second (the two servers answer a few ms apart). */
function seen(answer: Record<string, unknown> | 'closed'): unknown {
  if (answer === 'closed') return 'closed';
  const { authBytes, sessionLifetimeMs, ...rest } = answer;
  return {
    ...rest,
    ...(authBytes instanceof Uint8Array ? { authBytes: Buffer.from(authBytes).toString('latin1') } : {}),
    ...(typeof sessionLifetimeMs === 'bigint' || typeof sessionLifetimeMs === 'number' ? { sessionLifetimeS: Math.round(Number(sessionLifetimeMs) / 1000) } : {}),
  };
}

const now = () => Math.floor(Date.now() / 1000);

function token(o: { sub?: string; iss?: string; aud?: string; expS?: number; iatS?: number | null; kid?: string; signer?: CryptoKey; alg?: string } = {}): Promise<string> {
  const claims: Record<string, unknown> = { sub: o.sub ?? 'alice', iss: o.iss ?? ISSUER, aud: o.aud ?? AUDIENCE, exp: o.expS ?? now() + 600 };
  if (o.iatS !== null) claims['iat'] = o.iatS ?? now() - 1;
  return new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? 'k1' }).sign(o.signer ?? key);
}

const handshake = (c: Raw) => c.send(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' });
const authenticate = (c: Raw, bytes: string) => c.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(bytes, 'latin1') });
const bearer = (t: string, authzid = '') => `n,${authzid === '' ? '' : `a=${authzid}`},\u0001auth=Bearer ${t}\u0001\u0001`;
const metadata = (c: Raw) => c.send(ApiKey.Metadata, 1, { topics: [] });
const answered = (a: Record<string, unknown> | 'closed') => (a === 'closed' ? 'closed' : 'answered');

type Exchange = (c: Raw) => Promise<unknown[]>;

/** A token, the error challenge if any, the client's %x01 and a request after. */
async function withToken(c: Raw, t: string, authzid = ''): Promise<unknown[]> {
  const steps: unknown[] = [seen(await handshake(c))];
  const first = await authenticate(c, bearer(t, authzid));
  steps.push(seen(first));
  if (first !== 'closed' && first['errorCode'] === 0 && Buffer.from(first['authBytes'] as Uint8Array).length > 0) steps.push(seen(await authenticate(c, '\u0001')));
  steps.push(answered(await metadata(c)));
  return steps;
}

const EXCHANGES: Record<string, Exchange> = {
  'a good token (10 minutes left): session bounded by connections.max.reauth.ms': async (c) => withToken(c, await token()),
  'a good token (2 minutes left): session bounded by the token': async (c) => withToken(c, await token({ expS: now() + 120 })),
  'an expired token': async (c) => withToken(c, await token({ expS: now() - 600 })),
  'a token not valid yet': async (c) => {
    const t = await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now(), nbf: now() + 600, exp: now() + 1200 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
    return withToken(c, t);
  },
  'another issuer': async (c) => withToken(c, await token({ iss: 'https://elsewhere.test' })),
  'another audience': async (c) => withToken(c, await token({ aud: 'someone-else' })),
  'no iat': async (c) => withToken(c, await token({ iatS: null })),
  'iat ten minutes ahead': async (c) => withToken(c, await token({ iatS: now() + 600 })),
  'no sub': async (c) => withToken(c, await new SignJWT({ iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key)),
  'an empty sub': async (c) => withToken(c, await token({ sub: '' })),
  'a list of audiences naming ours': async (c) => withToken(c, await new SignJWT({ sub: 'alice', iss: ISSUER, aud: ['other', AUDIENCE], iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key)),
  'a scope that is a number': async (c) => withToken(c, await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, scope: 7, iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key)),
  'SASL extensions beside auth': async (c) => [seen(await handshake(c)), seen(await authenticate(c, `n,,\u0001traceId=abc\u0001auth=Bearer ${await token()}\u0001\u0001`)), answered(await metadata(c))],
  'a key the JWKS does not hold': async (c) => withToken(c, await token({ kid: 'k2', signer: stranger })),
  'a signature by another key under the known kid': async (c) => withToken(c, await token({ signer: stranger })),
  'alg none': async (c) => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return withToken(c, `${enc({ alg: 'none', kid: 'k1' })}.${enc({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 })}.`);
  },
  'an authorization id that is not the subject': async (c) => withToken(c, await token(), 'bob'),
  'the subject as authorization id': async (c) => withToken(c, await token(), 'alice'),
  'a malformed message': async (c) => [seen(await handshake(c)), seen(await authenticate(c, 'n,,\u0001auth=Bearer\u0001\u0001')), answered(await metadata(c))],
  'no auth key': async (c) => [seen(await handshake(c)), seen(await authenticate(c, 'n,,\u0001host=x\u0001\u0001')), answered(await metadata(c))],
  'another token instead of %x01 after the challenge': async (c) => {
    const steps: unknown[] = [seen(await handshake(c)), seen(await authenticate(c, bearer(await token({ expS: now() - 600 }))))];
    steps.push(seen(await authenticate(c, bearer(await token()))), answered(await metadata(c)));
    return steps;
  },
};

/**
 * Where Stratus answers differently on purpose. After the error challenge RFC 7628 has the
 * client send %x01; Kafka's OAuthBearerSaslServer takes anything else as a new first
 * message, so one exchange can try token after token, uncounted by any failure limit.
 * Stratus ends the exchange there with the same failure the %x01 gets.
 */
const KNOWN_DIFFERENCES: Record<string, { kafka: unknown[]; stratus: unknown[] }> = {
  'another token instead of %x01 after the challenge': {
    kafka: [
      { errorCode: 0, mechanisms: ['OAUTHBEARER'] },
      { errorCode: 0, errorMessage: '', authBytes: '{"status":"invalid_token"}', sessionLifetimeS: 0 },
      { errorCode: 0, errorMessage: '', authBytes: '', sessionLifetimeS: 300 },
      'answered',
    ],
    stratus: [
      { errorCode: 0, mechanisms: ['OAUTHBEARER'] },
      { errorCode: 0, errorMessage: '', authBytes: '{"status":"invalid_token"}', sessionLifetimeS: 0 },
      { errorCode: 58, errorMessage: '{"status":"invalid_token"}', authBytes: '', sessionLifetimeS: 0 },
      'closed',
    ],
  },
};

describe('OAUTHBEARER answers: Stratus as Apache Kafka', () => {
  for (const [name, exchange] of Object.entries(EXCHANGES)) {
    it(name, async () => {
      const outcome = async (port: number) => {
        const c = await Raw.open(port);
        try {
          return await exchange(c);
        } finally {
          c.close();
        }
      };
      const kafka = await outcome(ports.kafkaSasl);
      const ours = await outcome(ports.stratus);
      const known = KNOWN_DIFFERENCES[name];
      if (known === undefined) expect(ours).toEqual(kafka);
      else expect({ kafka, ours }).toEqual({ kafka: known.kafka, ours: known.stratus });
    });
  }

  it('the good tokens were accepted and the bad ones refused (the comparison is not of two equal failures)', async () => {
    const c = await Raw.open(ports.stratus);
    try {
      const steps = await withToken(c, await token());
      expect(steps).toEqual([{ errorCode: 0, mechanisms: ['OAUTHBEARER'] }, { errorCode: 0, errorMessage: '', authBytes: '', sessionLifetimeS: REAUTH_MS / 1000 }, 'answered']);
    } finally {
      c.close();
    }
  });
});

describe('JWKS file rotation, Stratus as Apache Kafka', () => {
  // Last in this file: it replaces the JWKS both servers read.
  it('after the file is replaced by one holding only a new key: its tokens are accepted, the old key\'s refused', async () => {
    const next = join(dir, 'jwks.next.json');
    writeFileSync(next, JSON.stringify({ keys: [strangerJwk] }));
    await new Promise((r) => setTimeout(r, 50)); // a modification time of its own
    renameSync(next, jwksFile); // whole, never half-written
    const outcome = async (port: number) => {
      const results: unknown[] = [];
      for (const t of [await token({ kid: 'k2', signer: stranger }), await token()]) {
        const c = await Raw.open(port);
        try {
          results.push(await withToken(c, t));
        } finally {
          c.close();
        }
      }
      return results;
    };
    const kafka = await outcome(ports.kafkaSasl);
    const ours = await outcome(ports.stratus);
    expect(ours).toEqual(kafka);
    expect(ours).toEqual([
      [{ errorCode: 0, mechanisms: ['OAUTHBEARER'] }, { errorCode: 0, errorMessage: '', authBytes: '', sessionLifetimeS: REAUTH_MS / 1000 }, 'answered'],
      [{ errorCode: 0, mechanisms: ['OAUTHBEARER'] }, { errorCode: 0, errorMessage: '', authBytes: '{"status":"invalid_token"}', sessionLifetimeS: 0 }, { errorCode: 58, errorMessage: '{"status":"invalid_token"}', authBytes: '', sessionLifetimeS: 0 }, 'closed'],
    ]);
  });
});
