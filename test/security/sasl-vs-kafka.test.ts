// The SASL answers of Stratus and of Apache Kafka 4.x side by side, over the raw protocol,
// for the same exchanges: a mechanism not enabled, PLAIN with a wrong password, an unknown
// user or a malformed message, SCRAM-SHA-512 with a wrong password or an unknown user, a
// success (session_lifetime_ms from connections.max.reauth.ms), SaslAuthenticate after it,
// requests out of turn before authentication, password guesses pipelined behind a failure,
// and a frame over sasl.server.max.receive.size. Each exchange is reduced to what a
// client sees — error codes, messages, mechanism lists, whether the connection closed —
// and the two must be equal. Kafka: test/peers/kafka-broker.sh with a SASL_PLAINTEXT
// listener (PLAIN users in its JAAS config, SCRAM credentials added with kafka-configs).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '@stratus/protocol';
import { StratusProcess } from '../support/stratus-process.ts';
import { ScramClient } from '../support/scram-client.ts';
import { SaslKafkaReference } from './support/kafka-reference.ts';
import { RawConnection } from './support/raw-connection.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PEERS = join(ROOT, 'test', 'peers');
const PASSWORD = randomBytes(12).toString('base64url');
const REAUTH_MS = 3_600_000;

let dir: string;
let stratus: StratusProcess;
let reference: SaslKafkaReference;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-sasl-vs-kafka-'));
  reference = await SaslKafkaReference.at(join(dir, 'kafka'));
  const kafkaReady = reference
    .start([
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="${PASSWORD}";`,
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `connections.max.reauth.ms=${REAUTH_MS}`,
    ])
    .then(() => run('bash', [join(PEERS, 'kafka-run.sh'), 'kafka.admin.ConfigCommand', '--bootstrap-server', reference.plainBootstrap, '--alter', '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${PASSWORD}]`, '--entity-type', 'users', '--entity-name', 'admin']));
  const stratusReady = StratusProcess.start({
    dataDir: join(dir, 'stratus'),
    env: {
      STRATUS_LOG_LEVEL: 'warn',
      STRATUS_SASL_LISTENERS: 'PLAINTEXT',
      STRATUS_SASL_MECHANISMS: 'PLAIN,SCRAM-SHA-512',
      STRATUS_SASL_ADMIN_USER: 'admin',
      STRATUS_SASL_ADMIN_PASSWORD: PASSWORD,
      STRATUS_SASL_MAX_REAUTH: `${REAUTH_MS}ms`,
      STRATUS_SASL_FAILED_AUTHENTICATION_DELAY: '100ms',
    },
  });
  [stratus] = await Promise.all([stratusReady, kafkaReady]);
}, 240_000);

afterAll(async () => {
  await stratus?.stop();
  if (dir !== undefined) {
    await reference?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** An answer to a request that is not SASL's: whether there was one (addresses and ports differ). */
const answered = (a: Record<string, unknown> | 'closed') => (a === 'closed' ? 'closed' : 'answered');

/** What a client sees of an answer: no bytes that differ by design (SCRAM nonces, salts). */
function seen(answer: Record<string, unknown> | 'closed'): unknown {
  if (answer === 'closed') return 'closed';
  const { authBytes: _bytes, ...rest } = answer;
  return rest;
}

type Exchange = (c: RawConnection) => Promise<unknown[]>;

const handshake = (c: RawConnection, mechanism: string) => c.send(ApiKey.SaslHandshake, 1, { mechanism });
const authenticate = (c: RawConnection, bytes: string) => c.send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(bytes) });

async function scram(c: RawConnection, user: string, password: string): Promise<unknown[]> {
  const client = new ScramClient('sha512', user, password, randomBytes(12).toString('base64url'));
  const h = await handshake(c, 'SCRAM-SHA-512');
  const first = await authenticate(c, client.first());
  if (first === 'closed' || first['errorCode'] !== 0) return [seen(h), seen(first)];
  const final = await authenticate(c, client.final((first['authBytes'] as Buffer).toString()));
  return [seen(h), 'server-first', seen(final)];
}

const EXCHANGES: Record<string, Exchange> = {
  'a mechanism not enabled': async (c) => [seen(await handshake(c, 'GSSAPI')), seen(await c.send(ApiKey.Metadata, 1, { topics: null }))],
  'PLAIN, wrong password': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, '\u0000admin\u0000wrong-password')), seen(await c.send(ApiKey.Metadata, 1, { topics: null }))],
  'PLAIN, unknown user': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, `\u0000nobody\u0000${PASSWORD}`))],
  'PLAIN, two tokens': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, 'admin\u0000x'))],
  'PLAIN, empty password': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, '\u0000admin\u0000'))],
  'PLAIN, another authorization id': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, `root\u0000admin\u0000${PASSWORD}`))],
  'SCRAM-SHA-512, wrong password': (c) => scram(c, 'admin', 'wrong-password'),
  'SCRAM-SHA-512, unknown user': (c) => scram(c, 'nobody', PASSWORD),
  'PLAIN success, then SaslAuthenticate again': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, `\u0000admin\u0000${PASSWORD}`)), seen(await authenticate(c, 'again')), answered(await c.send(ApiKey.Metadata, 1, { topics: [] }))],
  'SCRAM-SHA-512 success': (c) => scram(c, 'admin', PASSWORD),
  'ApiVersions, then Metadata before a handshake': async (c) => [(await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })) === 'closed' ? 'closed' : 'answered', seen(await c.send(ApiKey.Metadata, 1, { topics: null }))],
  'SaslAuthenticate before a handshake': async (c) => [seen(await authenticate(c, 'x'))],
  // Found by test/fuzz/sasl-fuzz.test.ts: Stratus checked and answered every guess, and the right one authenticated.
  'PLAIN guesses pipelined behind a wrong password': async (c) => [
    seen(await handshake(c, 'PLAIN')),
    ...(await c.pipeline(['wrong-password', PASSWORD, 'wrong-again'].map((p) => [ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000admin\u0000${p}`) }] as const))).map(seen),
  ],
  // sasl.server.max.receive.size (512 KiB): also found by the fuzz test, Stratus answered such frames.
  'SaslAuthenticate over 512 KiB': async (c) => [seen(await handshake(c, 'PLAIN')), seen(await authenticate(c, `\u0000admin\u0000${'p'.repeat(600 * 1024)}`))],
  'Metadata between handshake and authenticate': async (c) => [seen(await handshake(c, 'PLAIN')), answered(await c.send(ApiKey.Metadata, 1, { topics: null })), answered(await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }))],
};

/**
 * Where Stratus answers differently on purpose, and how. Kafka answers a request that
 * comes between SaslHandshake and SaslAuthenticate with that API's error response
 * (ILLEGAL_SASL_STATE where it has an error code; Metadata v1 has none, so it looks like an
 * empty cluster) and then closes; Stratus closes without answering. Either way the
 * connection ends there and nothing is served. An unknown SCRAM user: Kafka fails the
 * client-first message, which tells a prober the name does not exist; Stratus answers it
 * like a known one (a stand-in salt, RFC 5802 §9) and fails the proof with the same
 * answer a wrong password gets.
 */
const KNOWN_DIFFERENCES: Record<string, { kafka: unknown[]; stratus: unknown[] }> = {
  'Metadata between handshake and authenticate': {
    kafka: [{ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] }, 'answered', 'closed'],
    stratus: [{ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] }, 'closed', 'closed'],
  },
  'SCRAM-SHA-512, unknown user': {
    kafka: [{ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] }, { errorCode: 58, errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512', sessionLifetimeMs: 0 }],
    stratus: [{ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] }, 'server-first', { errorCode: 58, errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512', sessionLifetimeMs: 0 }],
  },
};

describe('SASL answers: Stratus as Apache Kafka', () => {
  for (const [name, exchange] of Object.entries(EXCHANGES)) {
    it(name, async () => {
      const outcome = (port: number) => RawConnection.using(port, 'sasl-compare', exchange);
      const kafka = await outcome(reference.saslPort);
      const ours = await outcome(stratus.kafkaPort);
      const known = KNOWN_DIFFERENCES[name];
      if (known === undefined) expect(ours).toEqual(kafka);
      else expect({ kafka, ours }).toEqual({ kafka: known.kafka, ours: known.stratus });
    });
  }
});
