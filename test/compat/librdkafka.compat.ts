// librdkafka (Debian's, through kcat and confluent-kafka-python) against the target broker:
// produce/consume with gzip, snappy, lz4 and zstd; a consumer group that commits and resumes;
// an idempotent producer. The Python side lives in python/librdkafka_compat.py.

import { describe, expect, it } from 'vitest';
import { python } from './support/peers.ts';
import { describeFailure, jsonLines, run, uniqueName } from './support/process.ts';
import type { RunResult } from './support/process.ts';
import { useTarget } from './support/target.ts';

const target = useTarget();
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Runs a librdkafka_compat.py subcommand and returns its JSON result, failing on problems. */
async function pyCheck(args: readonly string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const r = await python('librdkafka_compat.py', [args[0]!, '--bootstrap', target().bootstrap, ...args.slice(1)], { timeoutMs });
  const result = jsonLines(r.stdout).at(-1);
  if (!result) throw new Error(describeFailure(r));
  expect(result['problems'], describeFailure(r)).toEqual([]);
  expect(r.code, describeFailure(r)).toBe(0);
  return result;
}

async function kcat(args: readonly string[], input?: string): Promise<RunResult> {
  const r = await run('kcat', ['-b', target().bootstrap, ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(describeFailure(r));
  return r;
}

interface KcatRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
}

function kcatRecords(r: RunResult): KcatRecord[] {
  return jsonLines(r.stdout) as unknown as KcatRecord[];
}

function lines(from: number, to: number, tag: string): string {
  let s = '';
  for (let i = from; i < to; i++) s += `k-${i}:${tag} value ${i} ${'z'.repeat(i % 40)}\n`;
  return s;
}

function expectExactly(records: readonly KcatRecord[], from: number, to: number, tag: string): void {
  const got = records.map((r) => `${r.key ?? ''}:${r.payload ?? ''}`).sort();
  const want = lines(from, to, tag).trimEnd().split('\n').sort();
  expect(got).toEqual(want);
}

describe('kcat (librdkafka)', () => {
  it('reports the broker and a created topic in its metadata', async () => {
    const topic = uniqueName('kcat-meta');
    await pyCheck(['create-topics', '--partitions', '3', topic]);
    const all = JSON.parse((await kcat(['-L', '-J'])).stdout) as { brokers: { id: number; name: string }[] };
    expect(all.brokers.length).toBeGreaterThanOrEqual(1);
    const one = JSON.parse((await kcat(['-L', '-J', '-t', topic])).stdout) as {
      topics: { topic: string; err?: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(one.topics.map((t) => t.topic)).toEqual([topic]);
    expect(one.topics[0]!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    for (const p of one.topics[0]!.partitions) expect(all.brokers.map((b) => b.id)).toContain(p.leader);
  });

  it.each(CODECS)('produces and consumes %s-compressed batches', async (codec) => {
    const topic = uniqueName(`kcat-${codec}`);
    await pyCheck(['create-topics', '--partitions', '3', topic]);
    await kcat(['-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'linger.ms=50'], lines(0, 300, codec));
    const records = kcatRecords(await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q']));
    expectExactly(records, 0, 300, codec);
    const partitions = new Set(records.map((r) => r.partition));
    expect(partitions.size, 'keys spread over the partitions').toBeGreaterThan(1);
    for (const p of partitions) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets, `partition ${p} offsets are dense and in order`).toEqual(offsets.map((_, i) => i));
    }
  });

  it('a balanced consumer (-G) commits on exit and the next one resumes after it', async () => {
    const topic = uniqueName('kcat-group');
    const group = uniqueName('kcat-group');
    await pyCheck(['create-topics', '--partitions', '3', topic]);
    const consumeGroup = async (): Promise<KcatRecord[]> =>
      kcatRecords(await kcat(['-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-J', '-q', topic]));
    await kcat(['-P', '-t', topic, '-K', ':', '-z', 'zstd'], lines(0, 50, 'first'));
    expectExactly(await consumeGroup(), 0, 50, 'first');
    await kcat(['-P', '-t', topic, '-K', ':', '-z', 'lz4'], lines(50, 70, 'second'));
    expectExactly(await consumeGroup(), 50, 70, 'second');
  });
});

describe('confluent-kafka-python (librdkafka)', () => {
  it('produces and consumes with gzip, snappy, lz4 and zstd', async () => {
    const result = await pyCheck(['codecs', '--topic-prefix', uniqueName('py-codec'), '--count', '300']);
    const codecs = result['codecs'] as Record<string, { delivered: number; consumed: number; partitions: number[] }>;
    expect(Object.keys(codecs).sort()).toEqual([...CODECS].sort());
    for (const [name, c] of Object.entries(codecs)) {
      expect(c.delivered, name).toBe(300);
      expect(c.consumed, name).toBe(300);
      expect(c.partitions, name).toEqual([0, 1, 2]);
    }
  });

  it('a consumer group commits, and a restarted member resumes from the committed offsets', async () => {
    const result = await pyCheck([
      'group-commit', '--topic', uniqueName('py-group'), '--group', uniqueName('py-group'), '--count', '100', '--first', '40',
    ]);
    expect(result).toMatchObject({ first: 40, rest: 60, committed: { '0': 20, '1': 20 }, resumedAt: { '0': 20, '1': 20 } });
  });

  it('an idempotent producer (enable.idempotence=True) gets a producer id and writes no duplicates', async () => {
    const result = await pyCheck(['idempotent', '--topic', uniqueName('py-idempotent'), '--count', '1000']);
    expect(result).toMatchObject({ delivered: 1000, consumed: 1000, idempState: 'Assigned' });
    expect(result['producerId']).toBeGreaterThanOrEqual(0);
    expect(result['producerEpoch']).toBeGreaterThanOrEqual(0);
  });
});
