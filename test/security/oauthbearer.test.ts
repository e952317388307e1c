// OAUTHBEARER on a real `stratus dev` against the clients people use. The test plays the
// identity provider: an RSA key made here, its JWKS served on a free port (the broker's
// sasl.oauthbearer.jwksUrl) and a token endpoint that mints fresh JWTs. Clients:
//  - the Java console producer and consumer with Kafka's own OAuthBearerLoginCallbackHandler
//    reading a locally signed JWT from a file (sasl.oauthbearer.token.endpoint.url=file://,
//    Kafka 4.x's FileJwtRetriever);
//  - confluent-kafka-python (PyPI, current librdkafka) whose oauth_cb fetches tokens from the
//    token endpoint: produces and reads back, and outlives several short-lived tokens by
//    re-authenticating (KIP-368, the session bounded by the token's exp);
//  - confluent-kafka-python again, with librdkafka's own sasl.oauthbearer.method=oidc: client
//    credentials against the test's token endpoint, then produce and read back;
//  - kafkajs with an oauthBearerProvider;
//  - an expired token, a token signed by an unknown key and an unsecured (alg none) token from
//    kcat are refused with Kafka's answer, {"status":"invalid_token"}.
// Peers: test/peers/compat-peers.sh (kcat, confluent-kafka-python, Apache Kafka's tools).

import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import type { CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runTool } from '../compat/support/process.ts';
import { DevProcess, freePort } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const ISSUER = 'https://idp.stratus.test';
const AUDIENCE = 'stratus-kafka';
const PYPI_PYTHON = join(process.env['STRATUS_CACHE'] ?? join(homedir(), '.cache', 'stratus'), 'confluent-kafka-2.16.2', 'bin', 'python');
/** Kafka's Java tools on small machines, plus the system property Kafka 4.x needs before it reads a token from a file (CVE-2025-27817). */
const JAVA_OPTS = (tokenUrl: string) => `-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${tokenUrl}`;

let dir: string;
let dev: DevProcess;
let saslPort = 0;
let kafkaEnv: Record<string, string> = {};
let idp: Server;
let idpBase = '';
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
/** Tokens the token endpoint has minted. */
let minted = 0;
/** The OIDC client librdkafka's oidc method authenticates as to the token endpoint: its secret made per run. */
const OIDC_CLIENT = { id: 'kcat-client', secret: randomBytes(12).toString('base64url') };

function token(o: { sub?: string; lifetimeS?: number; expS?: number; key?: CryptoKey; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'kafka' })
    .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'test-key-1', typ: 'JWT' })
    .setSubject(o.sub ?? 'alice')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now - 1)
    .setExpirationTime(o.expS ?? now + (o.lifetimeS ?? 3600))
    .sign(o.key ?? signingKey);
}

beforeAll(async () => {
  const peers = await run('bash', [join(ROOT, 'test', 'peers', 'compat-peers.sh')], { maxBuffer: 1 << 24 });
  kafkaEnv = Object.fromEntries(peers.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  dir = mkdtempSync(join(tmpdir(), 'stratus-oauthbearer-'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' }] });
  // The identity provider: /jwks for the broker, /token (lifetime in seconds as ?s=) for clients.
  idp = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(jwks);
      return;
    }
    if (url.pathname === '/oidc') {
      // OAuth 2 client credentials (RFC 6749 §4.4), as librdkafka's oidc method asks for a token.
      const basic = `Basic ${Buffer.from(`${OIDC_CLIENT.id}:${OIDC_CLIENT.secret}`).toString('base64')}`;
      if (req.method !== 'POST' || req.headers.authorization !== basic) {
        res.statusCode = 401;
        res.end('{"error":"invalid_client"}');
        return;
      }
      minted++;
      void token({ sub: OIDC_CLIENT.id }).then((t) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in: 3600 }));
      });
      return;
    }
    if (url.pathname === '/token') {
      minted++;
      void token({ lifetimeS: Number(url.searchParams.get('s') ?? '3600') }).then((t) => res.end(t));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const idpPort = await freePort();
  await new Promise<void>((resolve) => idp.listen(idpPort, '127.0.0.1', resolve));
  idpBase = `http://127.0.0.1:${idpPort}`;

  saslPort = await freePort();
  const plainPort = await freePort();
  dev = await DevProcess.start({
    dataDir: join(dir, 'data'),
    env: {
      STRATUS_LOG_LEVEL: 'debug', // successful authentications are debug lines: re-authentication is read from them
      STRATUS_LOG_PRETTY: 'false',
      STRATUS_KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${plainPort},SASL://127.0.0.1:${saslPort}`,
      STRATUS_SASL_LISTENERS: 'SASL',
      STRATUS_SASL_MECHANISMS: 'OAUTHBEARER',
      STRATUS_SASL_OAUTHBEARER_JWKS_URL: `${idpBase}/jwks`,
      STRATUS_SASL_OAUTHBEARER_ISSUER: ISSUER,
      STRATUS_SASL_OAUTHBEARER_AUDIENCE: AUDIENCE,
      // Every client here connects from 127.0.0.1: the refused cases must not lock the others out.
      STRATUS_SASL_MAX_FAILURES_PER_ADDRESS: '1000',
    },
  });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  idp?.closeAllConnections();
  idp?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  // No token reached the broker's log (a JWT starts eyJ: base64 of {").
  expect(dev?.output ?? '').not.toMatch(/eyJ[\w-]+\.eyJ/);
}, 30_000);

interface LogLine {
  msg?: string;
  mechanism?: string;
  principal?: string;
  reauthentication?: boolean;
}

const logSince = (from: number) => dev.jsonLog(from) as LogLine[];

const authenticated = (from: number, reauthentication: boolean) => logSince(from).filter((l) => l.msg === 'SASL authenticated' && l.mechanism === 'OAUTHBEARER' && l.reauthentication === reauthentication);

/** client.properties of the Java tools: Kafka's OAuthBearerLoginCallbackHandler reading its token from `tokenUrl` (file://), with `extra` lines. */
function javaClientProperties(name: string, tokenUrl: string, extra: readonly string[] = []): string {
  const file = join(dir, `${name}.properties`);
  writeFileSync(file, [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=OAUTHBEARER',
    'sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
    `sasl.oauthbearer.token.endpoint.url=${tokenUrl}`,
    'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    ...extra,
    '',
  ].join('\n'));
  return file;
}

describe('Java console producer and consumer (OAuthBearerLoginCallbackHandler, token from a file)', () => {
  it('produce and read back as the token subject', async () => {
    const tokenFile = join(dir, 'java-token.jwt');
    writeFileSync(tokenFile, await token({ sub: 'java-client' }), { mode: 0o600 });
    const tokenUrl = `file://${tokenFile}`;
    const props = javaClientProperties('oauth', tokenUrl);
    const env = { ...kafkaEnv, KAFKA_JVM_OPTS: JAVA_OPTS(tokenUrl) };
    const kafkaRun = join(ROOT, 'test', 'peers', 'kafka-run.sh');
    const from = dev.output.length;
    const produced = await runTool('bash', [kafkaRun, 'org.apache.kafka.tools.ConsoleProducer', '--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'oauth-java', '--command-config', props], { env, input: 'j1\nj2\nj3\n', timeoutMs: 60_000 });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runTool('bash', [kafkaRun, 'org.apache.kafka.tools.consumer.ConsoleConsumer', '--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'oauth-java', '--from-beginning', '--max-messages', '3', '--timeout-ms', '20000', '--command-config', props], { env, timeoutMs: 60_000 });
    expect(consumed.stdout.trim().split('\n'), consumed.stderr).toEqual(['j1', 'j2', 'j3']);
    const principals = new Set(authenticated(from, false).map((l) => l.principal));
    expect([...principals]).toEqual(['User:java-client']);
  }, 120_000);

  it('a consumer outlives its 15 s tokens: the login refreshes the token from the file and the connections re-authenticate with it', async () => {
    const tokenFile = join(dir, 'java-rotating.jwt');
    const write = async () => writeFileSync(tokenFile, await token({ sub: 'java-client', lifetimeS: 15 }), { mode: 0o600 });
    await write();
    // The identity provider's side: a fresh token in the file every 2 s.
    const rotating = setInterval(() => void write(), 2000);
    try {
      const tokenUrl = `file://${tokenFile}`;
      const props = javaClientProperties('oauth-rotating', tokenUrl, [
        // Refresh at half the token's life (the defaults are tuned for hour-long tokens:
        // a minute's minimum period and five minutes' buffer), so the new token is there
        // before the re-authentication at 85-95% of the session.
        'sasl.login.refresh.window.factor=0.5',
        'sasl.login.refresh.window.jitter=0',
        'sasl.login.refresh.min.period.seconds=0',
        'sasl.login.refresh.buffer.seconds=0',
      ]);
      const env = { ...kafkaEnv, KAFKA_JVM_OPTS: JAVA_OPTS(tokenUrl) };
      const kafkaRun = join(ROOT, 'test', 'peers', 'kafka-run.sh');
      const produced = await runTool('bash', [kafkaRun, 'org.apache.kafka.tools.ConsoleProducer', '--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'oauth-java-reauth', '--command-config', props], { env, input: 'r1\n', timeoutMs: 60_000 });
      expect(produced.code, produced.stderr).toBe(0);
      const from = dev.output.length;
      // It reads the one record, then waits for more across two token lifetimes.
      const consumed = await runTool('bash', [kafkaRun, 'org.apache.kafka.tools.consumer.ConsoleConsumer', '--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'oauth-java-reauth', '--from-beginning', '--timeout-ms', '32000', '--command-config', props], { env, timeoutMs: 90_000 });
      expect(consumed.stdout.trim(), consumed.stderr).toBe('r1');
      expect(consumed.stderr).not.toMatch(/invalid_token|AuthenticationException/);
      expect(authenticated(from, true).length).toBeGreaterThan(0);
      expect(new Set(authenticated(from, true).map((l) => l.principal))).toEqual(new Set(['User:java-client']));
      expect(dev.output.slice(from)).not.toMatch(/expired without re-authentication/);
    } finally {
      clearInterval(rotating);
    }
  }, 120_000);

  it('an expired token in the file is refused by the broker with invalid_token', async () => {
    const tokenFile = join(dir, 'java-expired.jwt');
    // Expired two minutes ago, beyond the 30 s clock skew; Kafka's client does not check exp itself.
    writeFileSync(tokenFile, await token({ expS: Math.floor(Date.now() / 1000) - 120 }), { mode: 0o600 });
    const tokenUrl = `file://${tokenFile}`;
    const props = javaClientProperties('oauth-expired', tokenUrl);
    const from = dev.output.length;
    const env = { ...kafkaEnv, KAFKA_JVM_OPTS: JAVA_OPTS(tokenUrl) };
    const r = await runTool('bash', [join(ROOT, 'test', 'peers', 'kafka-run.sh'), 'org.apache.kafka.tools.consumer.ConsoleConsumer', '--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'oauth-java', '--from-beginning', '--timeout-ms', '5000', '--command-config', props], { env, timeoutMs: 60_000 });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('{"status":"invalid_token"}');
    expect(authenticated(from, false)).toEqual([]);
  }, 60_000);
});

/** A confluent-kafka-python program whose oauth_cb returns what the test says (a URL to fetch, or a fixed token). */
const PYTHON = `
import json, sys, time, urllib.request, base64
from confluent_kafka import Producer, Consumer
bootstrap, source, mode = sys.argv[1], sys.argv[2], sys.argv[3]
calls = []
def oauth_cb(_config):
    tok = urllib.request.urlopen(source).read().decode() if source.startswith('http') else source
    calls.append(1)
    # The client's idea of expiry: exp from the token, or an hour when the test lies to it (expired tokens).
    payload = json.loads(base64.urlsafe_b64decode(tok.split('.')[1] + '=='))
    exp = payload['exp'] if payload['exp'] > time.time() else time.time() + 3600
    return tok, exp
errors = []
conf = {'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'OAUTHBEARER', 'oauth_cb': oauth_cb, 'error_cb': lambda e: errors.append(str(e))}
if mode == 'refused':
    p = Producer(conf)
    p.poll(0)
    try:
        p.list_topics(timeout=3)
    except Exception as e:
        errors.append(str(e))
    p.poll(1)
    print(json.dumps({'errors': errors}))
    sys.exit(0)
seconds = float(mode)
p = Producer(conf)
sent, deadline = 0, time.time() + seconds
while time.time() < deadline or sent < 3:
    p.produce('oauth-python', value=f'm{sent}'.encode())
    assert p.flush(10) == 0, 'not delivered'
    sent += 1
    p.poll(0.5)  # serves callbacks while it waits, the token refresh among them
c = Consumer({**conf, 'group.id': 'oauth-python', 'auto.offset.reset': 'earliest'})
c.subscribe(['oauth-python'])
got, until = [], time.time() + 20
while len(got) < sent and time.time() < until:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got.append(m.value().decode())
c.close()
print(json.dumps({'sent': sent, 'got': got, 'calls': len(calls), 'errors': errors}))
`;

describe('confluent-kafka-python (PyPI, librdkafka 2.16) with oauth_cb against the JWKS URL', () => {
  // librdkafka asks oauth_cb for a new token at 80% of the old one's life and re-authenticates
  // at about 90% of the session's: 12 s tokens leave the refresh 1.2 s to land first (with
  // shorter ones it can lose the race, re-authenticate with the old token, get a session of
  // a few hundred ms and be refused the next re-authentication inside Kafka's 1 s minimum).
  it('produces and reads back; with 12 s tokens it re-authenticates before each expires and keeps going', async () => {
    const from = dev.output.length;
    const mintedBefore = minted;
    const { stdout } = await run(PYPI_PYTHON, ['-c', PYTHON, `127.0.0.1:${saslPort}`, `${idpBase}/token?s=12`, '28'], { timeout: 90_000 });
    const r = JSON.parse(stdout) as { sent: number; got: string[]; calls: number; errors: string[] };
    expect(r.got).toEqual(Array.from({ length: r.sent }, (_, i) => `m${i}`));
    expect(r.errors).toEqual([]);
    // Tokens live 12 s and the producer ran 28: new tokens were fetched, and connections re-authenticated with them.
    expect(minted - mintedBefore).toBeGreaterThanOrEqual(3);
    expect(authenticated(from, true).length).toBeGreaterThan(0);
    expect(new Set(authenticated(from, true).map((l) => l.principal))).toEqual(new Set(['User:alice']));
    // No connection outlived its token without re-authenticating.
    expect(dev.output.slice(from)).not.toMatch(/expired without re-authentication/);
  }, 120_000);

  it('an expired token, one signed by an unknown key, one signed by another key under the known kid and a forged payload are refused with {"status":"invalid_token"}', async () => {
    // Why each was refused is the validator's unit tests' business (oauthbearer.test.ts under
    // services/broker); the log says it too, but rate-limited to one line per 10 s.
    const now = Math.floor(Date.now() / 1000);
    for (const bad of [await token({ expS: now - 120 }), await token({ key: strangerKey, kid: 'stranger' }), await token({ key: strangerKey }), await token({ sub: 'bob', lifetimeS: 3600 }).then((t) => t.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 3600 })).toString('base64url')}.`))]) {
      const from = dev.output.length;
      const { stdout } = await run(PYPI_PYTHON, ['-c', PYTHON, `127.0.0.1:${saslPort}`, bad, 'refused'], { timeout: 60_000 });
      const r = JSON.parse(stdout) as { errors: string[] };
      expect(r.errors.join('\n')).toContain('SASL authentication error: {"status":"invalid_token"}');
      expect(authenticated(from, false)).toEqual([]);
    }
  }, 120_000);
});

describe('confluent-kafka-python (PyPI) with sasl.oauthbearer.method=oidc', () => {
  it('gets a token with client credentials from the token endpoint, produces and reads back as the client', async () => {
    const script = `
import json, sys, time
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'OAUTHBEARER',
        'sasl.oauthbearer.method': 'oidc', 'sasl.oauthbearer.token.endpoint.url': sys.argv[2],
        'sasl.oauthbearer.client.id': sys.argv[3], 'sasl.oauthbearer.client.secret': sys.argv[4]}
p = Producer(conf)
for v in ('o1', 'o2'):
    p.produce('oauth-oidc', value=v.encode())
assert p.flush(20) == 0, 'not delivered'
c = Consumer({**conf, 'group.id': 'oauth-oidc', 'auto.offset.reset': 'earliest'})
c.subscribe(['oauth-oidc'])
got, until = [], time.time() + 20
while len(got) < 2 and time.time() < until:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got.append(m.value().decode())
c.close()
print(json.dumps(got))
`;
    const from = dev.output.length;
    const { stdout } = await run(PYPI_PYTHON, ['-c', script, `127.0.0.1:${saslPort}`, `${idpBase}/oidc`, OIDC_CLIENT.id, OIDC_CLIENT.secret], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(['o1', 'o2']);
    expect(new Set(authenticated(from, false).map((l) => l.principal))).toEqual(new Set([`User:${OIDC_CLIENT.id}`]));
  }, 90_000);
});

describe('kcat (Debian librdkafka)', () => {

  it("an unsecured token (librdkafka's built-in alg none JWT) is refused", async () => {
    const from = dev.output.length;
    const r = await runTool('kcat', ['-b', `127.0.0.1:${saslPort}`, '-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'sasl.oauthbearer.config=principal=admin', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-L', '-m', '3'], { timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('{"status":"invalid_token"}');
    expect(authenticated(from, false)).toEqual([]);
  }, 60_000);
});

describe('kafkajs (oauthBearerProvider)', () => {
  it('produces and reads back as the token subject', async () => {
    const from = dev.output.length;
    const kafka = new Kafka({
      clientId: 'oauth-kafkajs',
      brokers: [`127.0.0.1:${saslPort}`],
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token({ sub: 'kafkajs-client' }) }) },
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'oauth-kafkajs', messages: [{ value: 'a1' }, { value: 'a2' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'oauth-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'oauth-kafkajs', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === 2) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual(['a1', 'a2']);
    expect(new Set(authenticated(from, false).map((l) => l.principal))).toEqual(new Set(['User:kafkajs-client']));
  }, 60_000);
});
