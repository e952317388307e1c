// The WAL's disk fills up (issue 9 §4), against a real `stratus dev` whose WAL directory
// is a small tmpfs mount. Producers get retriable errors — not closed connections, not a
// crash loop — /readyz says the disk is full while /livez stays up, and once space returns
// producing resumes by itself with every acknowledged record read back exactly once, in
// order. Mounting needs root (CAP_SYS_ADMIN); without it the test says so and is skipped.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { StratusProcess } from '../support/stratus-process.ts';

const { Kafka, logLevel } = kafkajs;
const MiB = 1024 * 1024;

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-disk-full-'));
const walDir = join(dataDir, 'wal');
mkdirSync(walDir);
const mounted = ((): boolean => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', walDir], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`disk-full: cannot mount a tmpfs at ${walDir} (needs root): skipped`);
    return false;
  }
})();

let stratus: StratusProcess | undefined;

beforeAll(async () => {
  if (!mounted) return;
  stratus = await StratusProcess.start({
    dataDir,
    env: {
      STRATUS_WAL_SEGMENT_BYTES: String(2 * MiB),
      // Nothing uploads (so nothing is trimmed) until the test lets it.
      STRATUS_UPLOAD_MAX_DELAY: '10m',
      STRATUS_STORAGE_APPEND_WAIT: '1s',
    },
  });
}, 60_000);

afterAll(async () => {
  await stratus?.kill();
  if (mounted) execFileSync('umount', [walDir]);
  rmSync(dataDir, { recursive: true, force: true });
});

async function probe(path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${stratus!.httpPort}${path}`);
  return { status: r.status, body: await r.text() };
}

describe.skipIf(!mounted)('the WAL disk fills up', () => {
  it('clients get retriable errors and the broker stays up; when space returns, producing resumes with nothing lost or doubled', async () => {
    const s = stratus!;
    const kafka = new Kafka({ clientId: 'disk-full', brokers: [s.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = new Map<string, number>();
    const errors: string[] = [];
    const value = Buffer.alloc(8 * 1024, 3);
    let n = 0;
    const send = async (): Promise<boolean> => {
      const keys = Array.from({ length: 16 }, (_, i) => `${n}-${i}`);
      n++;
      try {
        const [r] = await producer.send({ topic: 'full', acks: -1, timeout: 3000, messages: keys.map((key) => ({ key, value })) });
        keys.forEach((k, i) => acked.set(k, Number(r!.baseOffset) + i));
        return true;
      } catch (e) {
        const err = e as { type?: string; name?: string; cause?: { type?: string; name?: string } };
        errors.push(err.cause?.type ?? err.cause?.name ?? err.type ?? err.name ?? String(e));
        return false;
      }
    };
    // 8 MiB of WAL: a filler leaves ~3 MiB, which 128 KiB requests fill quickly.
    writeFileSync(join(walDir, 'filler'), Buffer.alloc(5 * MiB, 1));
    let refusedAt = -1;
    for (let i = 0; i < 200 && refusedAt < 0; i++) if (!(await send())) refusedAt = i;
    expect(refusedAt, 'the disk filled up').toBeGreaterThan(0);
    const ackedBefore = acked.size;
    expect(ackedBefore).toBeGreaterThan(0);
    expect(errors.every((e) => e === 'KAFKA_STORAGE_ERROR' || e === 'NOT_LEADER_OR_FOLLOWER'), errors.join(', ')).toBe(true);
    const ready = await probe('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/disk is full/);
    expect((await probe('/livez')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect(await send()).toBe(false); // still full: still refused, still up
    expect(s.alive).toBe(true);

    // Space returns.
    rmSync(join(walDir, 'filler'));
    const deadline = Date.now() + 20_000;
    let resumed = false;
    while (!resumed && Date.now() < deadline) resumed = await send();
    expect(resumed, 'producing resumes by itself').toBe(true);
    for (let i = 0; i < 5; i++) expect(await send()).toBe(true);
    expect((await probe('/readyz')).status).toBe(200);
    await producer.disconnect();

    // Every acknowledged record once, at its offset, in order.
    const consumer = kafka.consumer({ groupId: 'disk-full-read' });
    const seen: { key: string; offset: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'full', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), offset: Number(message.offset) }) });
    const readBy = Date.now() + 30_000;
    while (seen.length < acked.size && Date.now() < readBy) await new Promise((r) => setTimeout(r, 200));
    await consumer.disconnect();
    const offsets = seen.map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => i));
    expect(new Set(seen.map((r) => r.key)).size).toBe(seen.length);
    const at = new Map(seen.map((r) => [r.key, r.offset]));
    expect([...acked].filter(([k, o]) => at.get(k) !== o)).toEqual([]);
  }, 120_000);
});
