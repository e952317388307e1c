// Kafka ACLs end to end: `stratus dev` with authorization on, Kafka's own kafka-acls.sh
// (AclCommand, test/peers/kafka-bin.sh) adding, listing and removing ACLs, and kafkajs
// clients denied, then allowed, then denied again by what the tool changed. The same steps
// run against Apache Kafka with its StandardAuthorizer (test/peers/kafka-broker.sh), and
// must give the same answers there.
//
// Principals: every client here is User:ANONYMOUS (a PLAINTEXT listener), so the ACLs tell
// clients apart by host, which Kafka's model has for exactly that: the tool connects from
// 127.0.0.1, the client under test from 127.0.0.2 (any 127/8 address is local on Linux).
// Principals set by SASL or mTLS meet the same authorizer (the table test in
// services/broker/test/auth sets them directly).
//
// allow.everyone.if.no.acl.found=true only to bootstrap: the cluster has no ACL at first,
// so the tool may create the first ones; from then on the cluster and every topic and group
// have ACLs, and what no ACL allows is denied.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { ISocketFactory, logCreator as logCreatorType } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, StratusProcess } from '../support/stratus-process.ts';

// kafkajs's table of Kafka error codes (type, code, message): not part of its typed API.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as { errorCodes: unknown };

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const CLIENT_HOST = '127.0.0.2';
/**
 * Retriable errors are retried (Kafka answers COORDINATOR_NOT_AVAILABLE while it creates
 * __consumer_offsets for the first group); authorization errors are not retriable, so a
 * denial still fails at once.
 */
const RETRY = { retries: 6, initialRetryTime: 200 };
/** Answers that say the group coordinator is not ready yet, not whether the client may read. */
const COORDINATOR_LOADING = new Set(['GROUP_LOAD_IN_PROGRESS', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);

/** A broker under test: where it listens, and how it stops. */
interface Target {
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/** stratus dev with authorization on; allowEveryoneIfNoAclFound only to bootstrap (above). */
async function startStratus(): Promise<Target> {
  const dev = await StratusProcess.start({ env: { STRATUS_AUTHORIZATION_ENABLED: 'true', STRATUS_AUTHORIZATION_ALLOW_EVERYONE_IF_NO_ACL_FOUND: 'true' } });
  return { bootstrap: dev.bootstrap, stop: async () => void (await dev.stop()) };
}

/** Apache Kafka 4.x (KRaft, test/peers/kafka-broker.sh) with its StandardAuthorizer and the same setting. */
async function startKafka(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-acls-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = ['authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found=true'].join('\n');
  const script = join(ROOT, 'test/peers/kafka-broker.sh');
  await run('bash', [script, 'start', dir, String(port), String(controllerPort)], { env: { ...process.env, KAFKA_BROKER_PROPS: props }, maxBuffer: 1 << 24, timeout: 300_000 });
  return {
    bootstrap: `127.0.0.1:${port}`,
    stop: async () => {
      await run('bash', [script, 'stop', dir], { timeout: 120_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let target: Target;
let bin: string;

beforeAll(async () => {
  bin = (await run('bash', [join(ROOT, 'test/peers/kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 })).stdout.trim();
}, 360_000);

async function acls(...args: string[]): Promise<string> {
  const r = await run(join(bin, 'kafka-acls.sh'), ['--bootstrap-server', target.bootstrap, ...args], { timeout: 120_000 });
  return r.stdout;
}

/**
 * Kafka error types kafkajs met and logged (at debug) without surfacing them: it answers a
 * FindCoordinator error with its own "Failed to find group coordinator".
 */
const logged: string[] = [];

/** kafkajs connecting from 127.0.0.2: what the ACLs for that host decide. */
function clientFromOtherHost(clientId: string): Kafka {
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port, localAddress: CLIENT_HOST }, onConnect);
    socket.setKeepAlive(true, 30_000);
    return socket;
  };
  const logCreator: logCreatorType = () => (entry) => {
    const type = ((entry.log as { error?: unknown }).error as { type?: unknown } | undefined)?.type;
    if (typeof type === 'string') logged.push(type);
  };
  return new Kafka({ clientId, brokers: [target.bootstrap], socketFactory, logLevel: logLevel.DEBUG, logCreator, retry: RETRY });
}

async function errorType(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'none';
  } catch (e) {
    return kafkaErrorType(e);
  }
}

interface KafkaJsError {
  readonly name?: string;
  readonly type?: string;
  readonly message?: string;
  readonly cause?: KafkaJsError;
  readonly originalError?: KafkaJsError;
}

/** The Kafka error code's name in a kafkajs error, through its wrappers (NonRetriable, its own TopicAuthorizationFailed class). */
function kafkaErrorType(e: unknown): string {
  for (let err = e as KafkaJsError | undefined; err !== undefined; err = err.originalError ?? err.cause) {
    if (err.type !== undefined) return err.type;
    if (err.name === 'KafkaJSTopicAuthorizationFailed') return 'TOPIC_AUTHORIZATION_FAILED';
  }
  // A wrapper that kept only the message (NonRetriable after the retries): kafkajs's text for a Kafka error code.
  const top = e as KafkaJsError;
  const known = (errorCodes as readonly { type: string; message: string }[]).find((c) => c.message === top.message);
  return known?.type ?? `${top.name}: ${top.message}`;
}

async function produceFromOtherHost(value: string): Promise<string> {
  const producer = clientFromOtherHost('acl-producer').producer({ retry: RETRY });
  await producer.connect();
  try {
    return await errorType(() => producer.send({ topic: 'orders', messages: [{ value }] }));
  } finally {
    await producer.disconnect();
  }
}

describe.each([
  ['stratus dev', startStratus],
  ['Apache Kafka (the reference: the same steps, the same answers)', startKafka],
])('kafka-acls.sh against %s with an authorizer', (_name, start) => {
  beforeAll(async () => {
    target = await start();
  }, 360_000);
  afterAll(async () => {
    await target?.stop();
  }, 180_000);

  it('adds, lists and removes ACLs, and clients are denied and allowed accordingly', async () => {
    // Bootstrap: the tool's host gets everything, and from now on the cluster, topics and groups have ACLs.
    await acls('--add', '--allow-principal', 'User:ANONYMOUS', '--allow-host', '127.0.0.1', '--operation', 'All', '--cluster');
    await acls('--add', '--allow-principal', 'User:ANONYMOUS', '--allow-host', '127.0.0.1', '--operation', 'All', '--topic', '*', '--group', '*');
    const listed = await acls('--list');
    expect(listed).toContain('ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)');
    expect(listed).toContain('ResourcePattern(resourceType=TOPIC, name=*, patternType=LITERAL)');
    expect(listed).toContain('ResourcePattern(resourceType=GROUP, name=*, patternType=LITERAL)');
    expect(listed).toContain('(principal=User:ANONYMOUS, host=127.0.0.1, operation=ALL, permissionType=ALLOW)');

    // The tool's host may create the topic; the other host may not even see it.
    const admin = new Kafka({ clientId: 'acl-admin', brokers: [target.bootstrap], logLevel: logLevel.NOTHING });
    const a = admin.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    const other = clientFromOtherHost('acl-other-admin').admin();
    await other.connect();
    expect((await other.listTopics()).includes('orders')).toBe(false);
    expect(await produceFromOtherHost('denied')).toBe('TOPIC_AUTHORIZATION_FAILED');

    // --producer: WRITE, DESCRIBE and CREATE on the topic for the other host.
    await acls('--add', '--allow-principal', 'User:ANONYMOUS', '--allow-host', CLIENT_HOST, '--producer', '--topic', 'orders');
    expect(await acls('--list', '--topic', 'orders')).toContain(`(principal=User:ANONYMOUS, host=${CLIENT_HOST}, operation=WRITE, permissionType=ALLOW)`);
    expect(await other.listTopics()).toContain('orders');
    expect(await produceFromOtherHost('allowed')).toBe('none');

    // Reading needs READ on the topic and on the group: the group is refused first.
    // A coordinator still loading its group metadata (Kafka's GROUP_LOAD_IN_PROGRESS right after
    // __consumer_offsets is created, on a loaded machine outlasting the client's retries) is no
    // answer about authorization: asked again with a new consumer, for at most 60 s.
    const consume = async (groupId: string): Promise<string> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const answer = await consumeOnce(groupId);
        if (!COORDINATOR_LOADING.has(answer) || Date.now() > deadline) return answer;
      }
    };
    const consumeOnce = async (groupId: string): Promise<string> => {
      logged.length = 0;
      const consumer = clientFromOtherHost('acl-consumer').consumer({ groupId, retry: RETRY });
      await consumer.connect();
      try {
        const got = new Promise<string>((resolve, reject) => {
          consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
          void consumer.subscribe({ topic: 'orders', fromBeginning: true }).then(() =>
            consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') }),
          ).catch(reject);
        });
        return await Promise.race([got, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no message within 30 s')), 30_000))]).catch((e: unknown) => kafkaErrorType(e));
      } finally {
        await consumer.disconnect();
      }
    };
    expect(await consume('app')).toBe('KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator');
    expect(logged).toContain('GROUP_AUTHORIZATION_FAILED');
    await acls('--add', '--allow-principal', 'User:ANONYMOUS', '--allow-host', CLIENT_HOST, '--consumer', '--topic', 'orders', '--group', 'app');
    expect(await consume('app')).toBe('allowed');

    // --remove: the producer ACLs go, and producing is denied again (reading stays allowed).
    await acls('--remove', '--allow-principal', 'User:ANONYMOUS', '--allow-host', CLIENT_HOST, '--producer', '--topic', 'orders', '--force');
    const after = await acls('--list', '--topic', 'orders');
    expect(after).not.toContain(`host=${CLIENT_HOST}, operation=WRITE`);
    expect(after).toContain(`(principal=User:ANONYMOUS, host=${CLIENT_HOST}, operation=READ, permissionType=ALLOW)`);
    expect(await produceFromOtherHost('denied again')).toBe('TOPIC_AUTHORIZATION_FAILED');

    await other.disconnect();
    await a.disconnect();
  }, 300_000);
});
