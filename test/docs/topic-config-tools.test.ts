// The README's table of which tools set Stratus's own topic configs (stratus.durability),
// checked with each real tool against a real `stratus dev`: Kafka's kafka-topics.sh refuses
// the name on the client side (nothing reaches the broker), kafka-configs.sh sets it on an
// existing topic, and the Java Admin client, kafkajs and confluent-kafka-python (Debian's
// and PyPI's) pass it through createTopics. kcat creates no topics: producing to a new one
// creates it with the defaults. If a tool's behaviour changes, the README is wrong: fix both.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { java, provisionedPeers, PYTHON_PEERS, Tools } from '../compat/support/peers.ts';
import type { Peers } from '../compat/support/peers.ts';
import { run } from '../compat/support/process.ts';
import { StratusProcess } from '../support/stratus-process.ts';

const CONFIG = 'stratus.durability';

let stratus: StratusProcess;
let admin: Admin;
let peers: Peers;

/** The topic's stratus.durability as the broker describes it, or undefined when the topic does not exist. */
async function durability(topic: string): Promise<string | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [CONFIG] }], includeSynonyms: false });
  return described.resources[0]?.configEntries.find((e) => e.configName === CONFIG)?.configValue;
}

beforeAll(async () => {
  peers = await provisionedPeers();
  stratus = await StratusProcess.start();
  admin = new Kafka({ clientId: 'topic-config-tools', brokers: [stratus.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
}, 15 * 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await stratus?.stop();
});

describe('tools and stratus.* topic configs (README table)', () => {
  it('kafka-topics.sh --create --config stratus.durability=object: refused by the tool itself, no topic created', async () => {
    const r = await java(Tools.topics, ['--bootstrap-server', stratus.bootstrap, '--create', '--topic', 'via-topics-sh', '--config', `${CONFIG}=object`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`Unknown topic config name: ${CONFIG}`);
    expect(await durability('via-topics-sh')).toBeUndefined();
    // Client side: the same refusal with no broker at all.
    const offline = await java(Tools.topics, ['--bootstrap-server', '127.0.0.1:1', '--create', '--topic', 'x', '--config', `${CONFIG}=object`], { timeoutMs: 60_000 });
    expect(offline.stdout + offline.stderr).toContain(`Unknown topic config name: ${CONFIG}`);
  });

  it('kafka-configs.sh --alter --add-config sets it on an existing topic', async () => {
    const created = await java(Tools.topics, ['--bootstrap-server', stratus.bootstrap, '--create', '--topic', 'via-configs-sh', '--partitions', '1']);
    expect(created.code, created.stderr).toBe(0);
    expect(await durability('via-configs-sh')).toBe('local');
    const altered = await java(Tools.configs, ['--bootstrap-server', stratus.bootstrap, '--alter', '--entity-type', 'topics', '--entity-name', 'via-configs-sh', '--add-config', `${CONFIG}=object`]);
    expect(altered.code, altered.stderr).toBe(0);
    expect(await durability('via-configs-sh')).toBe('object');
  });

  it('the Java Admin client passes it through createTopics (NewTopic.configs)', async () => {
    const r = await java('test/docs/java/CreateTopicWithConfigs.java', [stratus.bootstrap, 'via-java-admin', `${CONFIG}=object`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await durability('via-java-admin')).toBe('object');
  });

  it('kafkajs passes it through createTopics (configEntries)', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'via-kafkajs', numPartitions: 1, configEntries: [{ name: CONFIG, value: 'object' }] }] })).toBe(true);
    expect(await durability('via-kafkajs')).toBe('object');
  });

  it.each(PYTHON_PEERS)('confluent-kafka-python (%s) passes it through create_topics (NewTopic config)', async (peer) => {
    const topic = `via-python-${peer}`;
    const script = [
      'import sys',
      'from confluent_kafka.admin import AdminClient, NewTopic',
      "admin = AdminClient({'bootstrap.servers': sys.argv[1]})",
      `for f in admin.create_topics([NewTopic(sys.argv[2], num_partitions=1, replication_factor=1, config={'${CONFIG}': 'object'})]).values(): f.result()`,
    ].join('\n');
    const r = await run(peers.python[peer].interpreter, ['-c', script, stratus.bootstrap, topic], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await durability(topic)).toBe('object');
  });

  it('kcat: producing to a new topic creates it with the defaults', async () => {
    const r = await run('kcat', ['-b', stratus.bootstrap, '-t', 'via-kcat', '-P'], { input: 'one\n', timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await durability('via-kcat')).toBe('local');
  });
});
