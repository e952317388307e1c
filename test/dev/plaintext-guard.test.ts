// Secure by default, at a real start: `stratus broker` and `stratus dev` with a PLAINTEXT
// listener on 0.0.0.0 exit 2 with the configuration error before they listen; with
// STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL=true the same dev starts, listens there, and stops
// cleanly. The validation itself: services/cli/test/plaintext-guard.test.ts.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'services', 'cli', 'src', 'main.ts');
const BROKER = { STRATUS_NODE_ID: '1', STRATUS_CONTROLLER_ENDPOINTS: '127.0.0.1:9190', STRATUS_OBJECT_STORE_URL: 'file:///tmp/x' };

describe('a PLAINTEXT listener beyond loopback', () => {
  it('stops a real `stratus broker` and `stratus dev` before they listen (exit 2); allowed, dev starts', { timeout: 60_000 }, async () => {
    const run = async (args: string[], env: Record<string, string>, untilReady?: number): Promise<{ code: number | null; output: string }> => {
      const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, ...args], { env: { ...process.env, STRATUS_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      if (untilReady !== undefined) {
        const deadline = Date.now() + 30_000;
        while (child.exitCode === null && Date.now() < deadline) {
          if (await fetch(`http://127.0.0.1:${untilReady}/readyz`).then((r) => r.ok, () => false)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        child.kill('SIGTERM');
      }
      return { code: await exited, output };
    };
    const dir = mkdtempSync(join(tmpdir(), 'stratus-plaintext-guard-'));
    try {
      const broker = await run(['broker', '--data-dir', join(dir, 'b')], { ...BROKER, STRATUS_KAFKA_HOST: '0.0.0.0' });
      expect(broker.code).toBe(2);
      expect(broker.output).toMatch(/^stratus broker: invalid configuration:\n {2}kafka\.host \(from STRATUS_KAFKA_HOST\): listener PLAINTEXT would accept plaintext without authentication on 0\.0\.0\.0:9092/);
      const [kafkaPort, httpPort] = [await freePort(), await freePort()];
      const dev = await run(['dev', '--data-dir', join(dir, 'd'), '--kafka-port', String(kafkaPort), '--http-port', String(httpPort)], { STRATUS_KAFKA_HOST: '0.0.0.0' });
      expect(dev.code).toBe(2);
      expect(dev.output).toContain(`listener PLAINTEXT would accept plaintext without authentication on 0.0.0.0:${kafkaPort}`);
      const allowed = await run(['dev', '--data-dir', join(dir, 'd'), '--kafka-port', String(kafkaPort), '--http-port', String(httpPort)], { STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL: 'true', STRATUS_LOG_LEVEL: 'info' }, httpPort);
      expect(allowed.output).toContain(`PLAINTEXT://0.0.0.0:${kafkaPort}`);
      expect(allowed.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
