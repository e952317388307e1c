// A fatal condition, end to end (issue 9 §1): the metadata journal of a real `stratus dev`
// cannot be written (its directory is a small tmpfs mount, filled up). The process must
// then stop being ready and live, say why in one fatal log line, and exit non-zero so a
// supervisor restarts it — instead of answering Kafka requests it cannot honour.
// Mounting needs root (CAP_SYS_ADMIN); without it the test says so and is skipped.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { StratusProcess } from '../support/stratus-process.ts';

const { Kafka, logLevel } = kafkajs;

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-fatal-'));
const metadataDir = join(dataDir, 'metadata');
mkdirSync(metadataDir);
const mounted = ((): boolean => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', metadataDir], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`fatal-exit: cannot mount a tmpfs at ${metadataDir} (needs root): skipped`);
    return false;
  }
})();

let stratus: StratusProcess | undefined;

afterAll(async () => {
  await stratus?.kill();
  if (mounted) execFileSync('umount', [metadataDir]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!mounted)('a fatal error', () => {
  it('makes stratus dev unready and not live, logs its cause once, and exits non-zero', async () => {
    stratus = await StratusProcess.start({ dataDir, env: { STRATUS_KAFKA_SHUTDOWN_DRAIN: '2s', STRATUS_LOG_LEVEL: 'info' } });
    const s = stratus;
    const exit = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
    // Fill the metadata disk, then ask for something the controller must write down.
    try {
      writeFileSync(join(metadataDir, 'filler'), Buffer.alloc(4 * 1024 * 1024));
    } catch {
      // ENOSPC once it is full: what we want
    }
    const admin = new Kafka({ clientId: 'fatal', brokers: [s.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
    // Enough journal records to need a new page of the full disk (the first page of the segment had room).
    void (async () => {
      for (let i = 0; i < 200; i++) await admin.createTopics({ topics: [{ topic: `never-written-${i}`, numPartitions: 8 }] }).catch(() => undefined);
    })();
    const probes: number[] = [];
    let code: number | null | undefined;
    void exit.then((c) => (code = c));
    const deadline = Date.now() + 20_000;
    while (code === undefined && Date.now() < deadline) {
      try {
        probes.push((await fetch(`http://127.0.0.1:${s.httpPort}/livez`)).status);
      } catch {
        // the HTTP port is gone: the process is exiting
      }
      await new Promise((r) => setImmediate(r));
    }
    await admin.disconnect().catch(() => undefined);
    expect(code, s.output.slice(-3000)).toBe(1);
    expect(probes).toContain(503);
    const fatalLines = s.output.split('\n').filter((l) => l.includes('"level":60'));
    expect(fatalLines).toHaveLength(1);
    expect(fatalLines[0]).toContain('the metadata journal failed');
  }, 60_000);
});
