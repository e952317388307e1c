// `stratus admin` against `stratus dev`, which serves no controller API: the Kafka-protocol
// commands (topics, groups) work as against a cluster, `objects --metrics` reads the
// request totals from dev's /metrics, and the controller commands say they need a
// cluster (exit 2). The real command as a process against a real `stratus dev`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusProcess } from '../support/stratus-process.ts';
import { adminJson, stratusAdmin } from '../cluster/lib/admin-cli.ts';

let dev: StratusProcess;

beforeAll(async () => {
  dev = await StratusProcess.start();
}, 60_000);

afterAll(async () => {
  await dev?.stop();
});

describe('stratus admin against stratus dev', () => {
  it('topics and groups work over the Kafka protocol', async () => {
    const b = ['--bootstrap-server', dev.bootstrap];
    const created = await stratusAdmin(['topics', 'create', 'dev-topic', '--partitions', '2', '--json', ...b]);
    expect(created.code, created.stderr).toBe(0);
    expect(adminJson(created)).toMatchObject({ topic: 'dev-topic', partitions: 2, error: null });
    const listed = adminJson<{ topics: { name: string; partitions: number }[] }>(await stratusAdmin(['topics', 'list', '--json', ...b]));
    expect(listed.topics.find((t) => t.name === 'dev-topic')?.partitions).toBe(2);
    const groups = await stratusAdmin(['groups', 'list', '--json', ...b]);
    expect(groups.code, groups.stderr).toBe(0);
    expect(adminJson(groups)).toEqual({ groups: [], errors: [] });
    const deleted = await stratusAdmin(['topics', 'delete', 'dev-topic', '--json', ...b]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(adminJson<{ topics: { topic: string; error: unknown }[] }>(deleted).topics).toEqual([{ topic: 'dev-topic', topicId: expect.any(String), error: null }]);
    const again = await stratusAdmin(['topics', 'delete', 'dev-topic', '--json', ...b]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no topic named dev-topic');
  });

  it('objects --metrics reads dev\'s request totals; per topic it needs a cluster', async () => {
    const puts = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${dev.httpPort}/metrics`)).text();
      return [...text.matchAll(/^stratus_object_store_requests\{operation="put",[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await puts();
    const run = await stratusAdmin(['objects', '--metrics', `127.0.0.1:${dev.httpPort}`, '--json']);
    const after = await puts();
    expect(run.code, run.stderr).toBe(0);
    const doc = adminJson<{ topics: unknown; total: unknown; requests: { put: number; get: number; errors: unknown[]; sources: string[] } }>(run);
    expect(doc.topics).toBeNull();
    expect(doc.total).toBeNull();
    expect(doc.requests.sources).toEqual([`http://127.0.0.1:${dev.httpPort}/metrics`]);
    expect(doc.requests.errors).toEqual([]);
    // What dev's own /metrics said around the run.
    expect(doc.requests.put).toBeGreaterThanOrEqual(before);
    expect(doc.requests.put).toBeLessThanOrEqual(after);
    const text = await stratusAdmin(['objects', '--metrics', `127.0.0.1:${dev.httpPort}`]);
    expect(text.stdout).toContain("objects per topic: needs a cluster's controller");
  });

  it('controller commands say they need a cluster (exit 2); no broker at the address is exit 2 with what to give', async () => {
    const [cluster, topics] = await Promise.all([stratusAdmin(['cluster']), stratusAdmin(['topics', 'list', '--bootstrap-server', '127.0.0.1:1'])]);
    expect(cluster.code).toBe(2);
    expect(cluster.stderr).toContain('`stratus dev` runs its controller inside the process and serves no controller API, so this command needs a cluster');
    expect(topics.code).toBe(2);
    expect(topics.stderr).toContain('no broker answered at 127.0.0.1:1');
    expect(topics.stderr).toContain('--bootstrap-server HOST:PORT');
  });
});

describe('stratus admin usage errors', () => {
  it('a wrong command line is exit 2 with what is wrong, before anything connects', async () => {
    const cases: [string[], string][] = [
      [['groups', 'reset-offsets', 'g', '--to-earliest'], 'needs --topic T[:P,P...] (repeatable) or --all-topics'],
      [['groups', 'reset-offsets', 'g', '--all-topics', '--to-earliest', '--to-latest'], 'exactly one of --to-earliest, --to-latest, --to-datetime TIME, --to-offset N'],
      [['groups', 'reset-offsets', 'g', '--all-topics', '--to-datetime', 'yesterday'], '--to-datetime yesterday: an ISO 8601 time'],
      [['topics', 'alter', 't'], 'topics alter needs --partitions N, --set KEY=VALUE or --delete-config KEY'],
      [['topics', 'create', 't', '--config', 'retention.ms'], '--config retention.ms: KEY=VALUE'],
      [['topics', 'create', 't', '--partitions', '0'], '--partitions 0: a whole number of partitions, at least 1'],
      [['topics', 'create', 't', '--execute'], "--execute does not apply to 'topics create'"],
      [['topics'], 'topics: which one? list, create, describe, alter, delete'],
    ];
    // Unreachable addresses: a case that got as far as connecting would fail differently (no broker answered).
    const runs = await Promise.all(cases.map(([args]) => stratusAdmin([...args, '--bootstrap-server', '127.0.0.1:1'])));
    runs.forEach((run, i) => {
      expect(run.code, `${cases[i]![0].join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(cases[i]![1]);
      expect(run.stderr).not.toContain('no broker answered');
    });
  }, 90_000); // eight processes on a two-core machine
});
