// A real crash of a real process: a child appends on the real file system
// (nodeFileSystem) and is killed with SIGKILL mid-stream, twice; the log reopened here
// holds every append the child acknowledged, byte-exact, in one gap-free sequence.
// (A process kill keeps the page cache; power loss is covered by the MemoryFileSystem
// tests.)

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSystem, openWal } from '@stratus/wal';
import { collect } from './support/helpers.ts';

const script = fileURLToPath(new URL('./support/append-loop.ts', import.meta.url));
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it has acknowledged `killAfter` appends, SIGKILLs it, returns its acks. */
async function runAndKill(dir: string, killAfter: number): Promise<{ startSeq: number; acks: Map<number, string> }> {
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const acks = new Map<number, string>();
  let startSeq = -1;
  let pending = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!; // an incomplete last line is not an ack
    for (const line of lines) {
      const [a, b] = line.split(' ');
      if (a === 'ready') startSeq = Number(b);
      else acks.set(Number(a), b!);
    }
    if (acks.size >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const signal = await exited;
  expect(signal, `child exited on its own: ${stderr}`).toBe('SIGKILL');
  return { startSeq, acks };
}

describe('SIGKILL of a process appending on the real file system', () => {
  it('every acknowledged append survives, byte-exact, across two kills', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-wal-kill-'));
    dirs.push(dir);
    const first = await runAndKill(dir, 300);
    expect(first.startSeq).toBe(0);
    const second = await runAndKill(dir, 200);
    // The second run continued after what the first left durable.
    expect(second.startSeq).toBeGreaterThanOrEqual(Math.max(...first.acks.keys()) + 1);

    const { wal, recovery } = await openWal({ dir, fs: nodeFileSystem, segmentBytes: 256 * 1024 });
    const records = await collect(wal.replay());
    await wal.close();
    const seqs = records.map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(recovery.nextSeq).toBe(seqs.length);
    const stored = new Map(records.map((r) => [r.seq, createHash('sha256').update(r.data).digest('hex')]));
    // Records of the first run past the second run's start were unacknowledged and may
    // have been replaced by the second run; its acks decide for those seqs.
    const expected = new Map([...first.acks].filter(([seq]) => seq < second.startSeq));
    for (const [seq, sha] of second.acks) expected.set(seq, sha);
    expect(expected.size).toBeGreaterThanOrEqual(400);
    for (const [seq, sha] of expected) expect(stored.get(seq), `acknowledged seq ${seq}`).toBe(sha);
  }, 60_000);
});
