// `stratus config check FILE`, run as the real command (a process, as an operator or a CI
// job runs it): the committed config/*.yaml pass; a bad file gets every problem at once,
// each with its key path and line, and a non-zero exit; YAML syntax errors name their
// lines; STRATUS_* variables stay out of the check unless --env is given; a file that
// could be either a broker's or a controller's needs --for.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..', '..');
const MAIN = join(REPO, 'services', 'cli', 'src', 'main.ts');
const NODE_FLAGS = ['--initial-old-space-size=128'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `stratus ARGS` in the repository with only PATH (and `env`) in its environment. */
function stratus(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_FLAGS, MAIN, ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const TEMP = mkdtempSync(join(tmpdir(), 'stratus-config-check-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(TEMP, 'case-')), name);
  writeFileSync(file, text);
  return file;
}

describe('stratus config check', () => {
  it.each([
    ['config/dev.yaml', 'dev'],
    ['config/broker.yaml', 'broker'],
    ['config/controller.yaml', 'controller'],
  ])('passes the committed %s (a stratus %s configuration) with one line and exit 0', async (file, command) => {
    const r = await stratus(['config', 'check', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain(`${file}: OK, a valid stratus ${command} configuration`);
  });

  it('reports every problem of a bad file at once, each with its key path and line, and exits 1', async () => {
    const file = tempFile(
      'broker.yaml',
      [
        'node:',
        '  id: -1', // line 2
        'controller:',
        '  endpoints: [localhost]', // line 4: not host:port
        'kafka:',
        '  prot: 9093', // line 6: a typo
        '  port: 70000', // line 7
        'cluster:',
        '  heartbeatInterval: 10s', // line 9: not below the lease less the margin
        'wal:',
        '  recover: maybe', // line 11
        '',
      ].join('\n'),
    );
    const r = await stratus(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${file}: not a valid stratus broker configuration (by its keys controller, cluster; --for overrides), 7 problems:`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '  node.id (line 2): Too small: expected number to be >=0',
        '  controller.endpoints.0 (line 4): host:port',
        '  kafka.prot (line 6): Unrecognized key: "prot" (did you mean "port"?)',
        '  kafka.port (line 7): Too big: expected number to be <=65535',
        '  cluster.heartbeatInterval (line 9): must be below cluster.brokerLease - cluster.safetyMargin (5000 ms), or every lease lapses',
        '  wal.recover (line 11): Invalid option: expected one of "refuse"|"truncate"',
        '  objectStore.url: required: the object store every broker and controller shares (s3://, gs://, file://)',
      ].sort(),
    );
  });

  it('reports YAML syntax errors with their lines, exit 1', async () => {
    const file = tempFile('dev.yaml', 'kafka:\n  port: 9092\n  port: 9093\nlog: [\n');
    const r = await stratus(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${file}: not valid YAML, 2 problems:\n  line 3: Map keys must be unique\n  line 5: `));
  });

  it('leaves STRATUS_* variables out unless --env is given', async () => {
    const env = { STRATUS_KAFKA_PORT: 'not-a-port', STRATUS_NODE_ID: '-5' };
    const fileOnly = await stratus(['config', 'check', 'config/dev.yaml'], env);
    expect(fileOnly.code).toBe(0);
    const withEnv = await stratus(['config', 'check', 'config/dev.yaml', '--env'], env);
    expect(withEnv.code).toBe(1);
    expect(withEnv.stderr).toContain('2 problems:');
    expect(withEnv.stderr).toContain('  kafka.port (from STRATUS_KAFKA_PORT): Invalid input: expected number, received string (got "not-a-port")');
    expect(withEnv.stderr).toContain('  node.id (from STRATUS_NODE_ID): Too small: expected number to be >=0 (got "-5")');
    // A broker file that leaves its required keys to the environment, as a container's does.
    const partial = tempFile('broker.yaml', 'controller:\n  connectTimeout: 10s\n');
    expect((await stratus(['config', 'check', partial], { STRATUS_NODE_ID: '3' })).stderr).toContain('node.id: required');
    const deployed = await stratus(['config', 'check', partial, '--env'], {
      STRATUS_NODE_ID: '3',
      STRATUS_CONTROLLER_ENDPOINTS: 'controller-0:9190,controller-1:9190',
      STRATUS_OBJECT_STORE_URL: 'gs://bucket/stratus',
    });
    expect(deployed.stdout).toContain('OK, a valid stratus broker configuration (by its key controller; --for overrides) with the STRATUS_* variables applied');
    expect(deployed.code).toBe(0);
  });

  it('needs --for when the keys do not tell the command, and says why it cannot check (exit 2)', async () => {
    const file = tempFile('cluster.yaml', 'cluster:\n  brokerLease: 6s\n');
    const r = await stratus(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot tell whether');
    expect(r.stderr).toContain('is for stratus broker or stratus controller (by its key cluster); give --for dev|broker|controller');
    const asController = await stratus(['config', 'check', file, '--for', 'controller']);
    expect(asController.code).toBe(1);
    expect(asController.stderr).toContain('(--for controller), 2 problems:');
    expect(asController.stderr).toContain('  metadata.url: required');
    // dev has no cluster section: the same file as dev's names the unknown key.
    expect((await stratus(['config', 'check', file, '--for', 'dev'])).stderr).toContain('  cluster (line 1): Unrecognized key: "cluster"');
    expect((await stratus(['config', 'check', join(REPO, 'no-such-file.yaml')])).code).toBe(2);
    expect((await stratus(['config', 'check', file, '--for', 'kafka'])).code).toBe(2);
  });
});
