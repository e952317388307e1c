// SCRAM credentials managed with Kafka's own tool, against Stratus and against Apache
// Kafka side by side: kafka-configs.sh adds a SCRAM-SHA-512 credential for a user
// (--alter --add-config 'SCRAM-SHA-512=[password=...]'), describes it, replaces it and
// deletes it (--delete-config), and refuses what Kafka refuses (too few iterations, two
// mechanisms of one user in one request, deleting a credential that does not exist) —
// every answer (exit code, output, error line) the same on both. After each change the
// user authenticates (confluent-kafka-python, SCRAM-SHA-512) exactly when Kafka lets it: with the new
// password at once, the old one no more, and no password after the deletion.
// Stratus: `stratus dev` with a SASL_PLAINTEXT listener; kafka-configs.sh authenticates as
// the configured admin (sasl.adminUser / STRATUS_SASL_ADMIN_PASSWORD) through
// --command-config. Kafka: test/peers/kafka-broker.sh with a SASL_PLAINTEXT listener for
// SCRAM-SHA-512; kafka-configs.sh reaches it on its PLAINTEXT listener (no authorizer).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runTool } from '../compat/support/process.ts';
import { DevProcess, freePort } from '../support/stratus-process.ts';
import { SaslKafkaReference } from './support/kafka-reference.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PEERS = join(ROOT, 'test', 'peers');
const PYPI_PYTHON = join(process.env['STRATUS_CACHE'] ?? join(homedir(), '.cache', 'stratus'), 'confluent-kafka-2.16.2', 'bin', 'python');
/** Fresh passwords per run: nothing secret is committed or can leak into a fixture. */
const ADMIN_PASSWORD = randomBytes(12).toString('base64url');
const FIRST = randomBytes(12).toString('base64url');
const SECOND = randomBytes(12).toString('base64url');

interface Target {
  readonly name: string;
  /** Where kafka-configs.sh connects, with its extra arguments. */
  readonly admin: () => string[];
  /** The SASL_PLAINTEXT listener users authenticate on. */
  readonly sasl: () => string;
}

let dir: string;
let bin: string;
let stratus: DevProcess;
let kafka: SaslKafkaReference;
const ports = { stratus: 0, stratusSasl: 0 };

const STRATUS: Target = { name: 'stratus', admin: () => ['--bootstrap-server', `127.0.0.1:${ports.stratusSasl}`, '--command-config', join(dir, 'admin.properties')], sasl: () => `127.0.0.1:${ports.stratusSasl}` };
const KAFKA: Target = { name: 'kafka', admin: () => ['--bootstrap-server', kafka.plainBootstrap], sasl: () => kafka.saslBootstrap };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-scram-configs-'));
  [ports.stratus, ports.stratusSasl] = [await freePort(), await freePort()];
  kafka = await SaslKafkaReference.at(join(dir, 'kafka'));
  // Kafka's tools and confluent-kafka-python (PyPI's); idempotent.
  const binning = run('bash', [join(PEERS, 'kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 });
  const peers = run('bash', [join(PEERS, 'compat-peers.sh')], { cwd: ROOT, timeout: 600_000, maxBuffer: 1 << 24 });
  const kafkaReady = kafka.start(['sasl.enabled.mechanisms=SCRAM-SHA-512', 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;']);
  writeFileSync(
    join(dir, 'admin.properties'),
    ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PASSWORD}";`, ''].join('\n'),
    { mode: 0o600 },
  );
  stratus = await DevProcess.start({
    dataDir: join(dir, 'stratus'),
    readyTimeoutMs: 60_000,
    env: {
      STRATUS_LOG_LEVEL: 'warn',
      STRATUS_KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.stratus},SASL://127.0.0.1:${ports.stratusSasl}`,
      STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT',
      STRATUS_SASL_MECHANISMS: 'SCRAM-SHA-512',
      STRATUS_SASL_ADMIN_USER: 'admin',
      STRATUS_SASL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      STRATUS_SASL_FAILED_AUTHENTICATION_DELAY: '100ms',
      // Every client here connects from 127.0.0.1: the refused passwords must not lock the rest out.
      STRATUS_SASL_MAX_FAILURES_PER_ADDRESS: '1000',
    },
  });
  bin = (await binning).stdout.trim();
  await peers;
  await kafkaReady;
}, 360_000);

afterAll(async () => {
  await stratus?.stop();
  if (dir !== undefined) {
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const secret of [ADMIN_PASSWORD, FIRST, SECOND]) expect(stratus?.output ?? '').not.toContain(secret);
}, 60_000);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  /** The exception line(s) of a failure, without the stack and without the arguments (ports differ). */
  readonly error: string;
}

async function configs(target: Target, ...args: string[]): Promise<Outcome> {
  const r = await runTool(join(bin, 'kafka-configs.sh'), [...target.admin(), ...args], { timeoutMs: 120_000 });
  const error = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('\tat ') && !l.startsWith('Error while executing config command with args') && !/^\s*\.\.\. \d+ more/.test(l) && r.code !== 0)
    .map((l) => l.replace(/^(java\.util\.concurrent\.ExecutionException: )?(\w+\.)+(\w+(Exception|Error)): /, '$3: '))
    .join('\n');
  return { code: r.code ?? -1, stdout: r.code === 0 ? r.stdout.trim() : '', error };
}

/** Both answers, after checking they are equal. */
async function same(...args: string[]): Promise<Outcome> {
  const [s, k] = await Promise.all([configs(STRATUS, ...args), configs(KAFKA, ...args)]);
  expect(s, `stratus answered differently from kafka for ${args.join(' ')}`).toEqual(k);
  return s;
}

/**
 * Whether the user authenticates with SCRAM-SHA-512, asked with confluent-kafka-python
 * (PyPI's, librdkafka 2.16). Not Debian's kcat: its librdkafka 2.0.2 repeats its client
 * nonce in client-final, which Kafka 4.3 refuses (ScramSaslServer compares the nonce with
 * equals since the endsWith check was tightened) and Stratus accepts (auth/sasl/scram.ts).
 */
async function authenticates(target: Target, user: string, password: string): Promise<{ ok: boolean; stderr: string }> {
  const script = `
import sys
from confluent_kafka.admin import AdminClient
a = AdminClient({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': sys.argv[2], 'sasl.password': sys.argv[3]})
try:
    a.list_topics(timeout=15)
    print('authenticated')
except Exception as e:
    print(f'failed: {e}')
`;
  const r = await runTool(PYPI_PYTHON, ['-c', script, target.sasl(), user, password], { timeoutMs: 60_000 });
  // librdkafka logs the broker's refusal on stderr and fails the request as a transport failure.
  const answer = r.stdout.trim() === 'authenticated' ? 'authenticated' : /SASL authentication error: Authentication failed/.test(r.stderr) ? 'refused' : r.stdout.trim();
  if (answer !== 'authenticated' && answer !== 'refused') throw new Error(`confluent-kafka failed otherwise against ${target.name}: ${answer} ${r.stderr.slice(-500)}`);
  return { ok: answer === 'authenticated', stderr: r.stderr.slice(-400) };
}

async function authenticatesOnBoth(user: string, password: string): Promise<boolean> {
  const [s, k] = await Promise.all([authenticates(STRATUS, user, password), authenticates(KAFKA, user, password)]);
  expect(s.ok, `stratus ${s.ok ? 'accepted' : 'refused'} ${user} where kafka did not:\nstratus: ${s.stderr}\nkafka: ${k.stderr}`).toBe(k.ok);
  return s.ok;
}

describe('kafka-configs.sh --entity-type users: SCRAM credentials, the same on Stratus and Kafka', () => {
  it('adds a SCRAM-SHA-512 credential, describes it, and the user authenticates with it', async () => {
    expect(await authenticatesOnBoth('alice', FIRST)).toBe(false);
    const added = await same('--alter', '--add-config', `SCRAM-SHA-512=[password=${FIRST}]`, '--entity-type', 'users', '--entity-name', 'alice');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('Completed updating config for user alice.');
    const described = await same('--describe', '--entity-type', 'users', '--entity-name', 'alice');
    expect(described.stdout).toContain("SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=4096");
    expect(described.stdout).not.toContain(FIRST);
    expect(await authenticatesOnBoth('alice', FIRST)).toBe(true);
    expect(await authenticatesOnBoth('alice', SECOND)).toBe(false);
  }, 180_000);

  it('replaces the password (and iterations): the new one counts at once, the old one no more', async () => {
    const replaced = await same('--alter', '--add-config', `SCRAM-SHA-512=[iterations=8192,password=${SECOND}]`, '--entity-type', 'users', '--entity-name', 'alice');
    expect(replaced.code).toBe(0);
    expect((await same('--describe', '--entity-type', 'users', '--entity-name', 'alice')).stdout).toContain('SCRAM-SHA-512=iterations=8192');
    expect(await authenticatesOnBoth('alice', SECOND)).toBe(true);
    expect(await authenticatesOnBoth('alice', FIRST)).toBe(false);
  }, 180_000);

  it("refuses what Kafka refuses, with Kafka's errors", async () => {
    // Too few iterations: kafka-configs.sh itself refuses them, before asking either broker.
    const few = await same('--alter', '--add-config', 'SCRAM-SHA-512=[iterations=1024,password=x]', '--entity-type', 'users', '--entity-name', 'bob');
    expect(few.code).not.toBe(0);
    expect(few.error).toContain('Iterations 1024 is less than the minimum 4096 required for SCRAM-SHA-512');
    const many = await same('--alter', '--add-config', 'SCRAM-SHA-512=[iterations=20000,password=x]', '--entity-type', 'users', '--entity-name', 'bob');
    expect(many.code).not.toBe(0);
    const both = await same('--alter', '--add-config', 'SCRAM-SHA-256=[password=x],SCRAM-SHA-512=[password=x]', '--entity-type', 'users', '--entity-name', 'bob');
    expect(both.code).not.toBe(0);
    expect(both.error).toMatch(/DuplicateResourceException: A user credential cannot be altered twice in the same request/);
    const missing = await same('--alter', '--delete-config', 'SCRAM-SHA-256', '--entity-type', 'users', '--entity-name', 'alice');
    expect(missing.code).not.toBe(0);
    expect(missing.error).toMatch(/ResourceNotFoundException: Attempt to delete a user credential that does not exist/);
    // None of it stored anything.
    expect((await same('--describe', '--entity-type', 'users', '--entity-name', 'bob')).stdout).not.toContain('SCRAM');
  }, 180_000);

  it('lists every user holding a credential, then deletes one: it no longer authenticates', async () => {
    expect((await same('--alter', '--add-config', `SCRAM-SHA-512=[password=${FIRST}]`, '--entity-type', 'users', '--entity-name', 'carol')).code).toBe(0);
    // Listing all users: in Kafka's order (a HashMap's), which says nothing; the lines must be the same.
    const [allStratus, allKafka] = await Promise.all([configs(STRATUS, '--describe', '--entity-type', 'users'), configs(KAFKA, '--describe', '--entity-type', 'users')]);
    const lines = (o: Outcome) => o.stdout.split('\n').sort();
    expect(lines(allStratus)).toEqual(lines(allKafka));
    const all = allStratus;
    expect(all.stdout).toContain("SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=8192");
    expect(all.stdout).toContain("SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-512=iterations=4096");
    const deleted = await same('--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', 'alice');
    expect(deleted.stdout).toBe('Completed updating config for user alice.');
    expect((await same('--describe', '--entity-type', 'users', '--entity-name', 'alice')).stdout).not.toContain('SCRAM');
    expect(await authenticatesOnBoth('alice', SECOND)).toBe(false);
    expect(await authenticatesOnBoth('carol', FIRST)).toBe(true);
  }, 180_000);
});
