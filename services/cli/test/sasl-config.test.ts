// The sasl section: off by default (no authenticator, nothing changes), the bootstrap
// user from STRATUS_SASL_ADMIN_USER / STRATUS_SASL_ADMIN_PASSWORD for dev and broker alike,
// the refusals (user without password, SASL listeners without any user, fewer than 4096
// iterations, a listener name kafka.listeners does not have) and a bad password reported
// by its key without echoing it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../src/config/broker-schema.ts';
import { ConfigError, loadConfig, loadConfigWith } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { saslSettings } from '../src/parts/sasl.ts';

const clock = { monotonicMs: () => performance.now(), nowMs: () => Date.now() } as never;
const log = createLogger({ level: 'error', pretty: false, name: 'test' });
const BROKER_REQUIRED = { STRATUS_NODE_ID: '1', STRATUS_CONTROLLER_ENDPOINTS: '127.0.0.1:9190', STRATUS_OBJECT_STORE_URL: 'file:///tmp/x' };
const SASL_ENV = { STRATUS_KAFKA_LISTENERS: 'PLAINTEXT://127.0.0.1:9092,SASL://127.0.0.1:9093', STRATUS_SASL_LISTENERS: 'SASL', STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: 'admin-password' };

function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig({ env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('sasl config', () => {
  it('is off by default: no authenticator', () => {
    const config = loadConfig({ env: {} });
    expect(config.sasl).toMatchObject({ listeners: [], mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], users: [], scramIterations: 4096, failedAuthenticationDelay: 100, maxFailuresPerAddress: 10, failureWindow: 60_000 });
    expect(saslSettings(config, clock, log)).toEqual({});
  });

  it('takes listeners, mechanisms and the bootstrap user from the environment, for dev and broker', () => {
    const dev = loadConfig({ env: { ...SASL_ENV, STRATUS_SASL_MECHANISMS: 'PLAIN,SCRAM-SHA-512', STRATUS_SASL_MAX_REAUTH: '5m' } });
    expect(dev.sasl).toMatchObject({ listeners: ['SASL'], mechanisms: ['PLAIN', 'SCRAM-SHA-512'], adminUser: 'admin', adminPassword: 'admin-password', maxReauth: 300_000 });
    const settings = saslSettings(dev, clock, log);
    expect(settings.sasl?.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-512']);
    expect(settings.sasl?.requires({ listenerName: 'SASL', remoteAddress: '' })).toBe(true);
    expect(settings.sasl?.requires({ listenerName: 'PLAINTEXT', remoteAddress: '' })).toBe(false);
    expect(settings.sasl?.maxReceiveBytes).toBe(512 * 1024);
    const smaller = saslSettings(loadConfig({ env: { ...SASL_ENV, STRATUS_SASL_MAX_RECEIVE_SIZE: '65536' } }), clock, log);
    expect(smaller.sasl?.maxReceiveBytes).toBe(65_536);
    expect(() => loadConfig({ env: { ...SASL_ENV, STRATUS_SASL_MAX_RECEIVE_SIZE: '100' } })).toThrow('sasl.maxReceiveSize');
    const broker = loadConfigWith(brokerConfigSchema, { env: { ...BROKER_REQUIRED, ...SASL_ENV } });
    expect(broker.sasl).toMatchObject({ listeners: ['SASL'], adminUser: 'admin' });
  });

  it('refuses a user without a password, SASL listeners without users, and too few iterations', () => {
    expect(problem({ STRATUS_SASL_ADMIN_USER: 'admin' })).toMatch(/sasl.adminPassword.*: sasl.adminUser and sasl.adminPassword go together/);
    expect(problem({ STRATUS_SASL_LISTENERS: 'PLAINTEXT' })).toContain('SASL listeners need a user');
    expect(problem({ STRATUS_SASL_SCRAM_ITERATIONS: '1000' })).toContain('sasl.scramIterations');
    expect(problem({ STRATUS_SASL_MECHANISMS: 'GSSAPI' })).toContain('sasl.mechanisms');
  });

  it('reports a short password by its key without echoing it', () => {
    const text = problem({ STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: 'hunter2' });
    expect(text).toContain('sasl.adminPassword (from STRATUS_SASL_ADMIN_PASSWORD)');
    expect(text).toContain('at least 8 characters');
    expect(text).not.toContain('hunter2');
  });

  it('reports a short password of sasl.users by its key without echoing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-sasl-config-'));
    try {
      const file = join(dir, 'stratus.yaml');
      writeFileSync(file, 'sasl:\n  users:\n    - name: bob\n      password: hunter2\n');
      let text = '';
      try {
        loadConfig({ file, env: {} });
      } catch (e) {
        text = (e as Error).message;
      }
      expect(text).toContain('sasl.users.0.password');
      expect(text).not.toContain('hunter2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a SASL listener that kafka.listeners does not have', () => {
    const config = loadConfig({ env: { ...SASL_ENV, STRATUS_SASL_LISTENERS: 'EXTERNAL' } });
    expect(() => saslSettings(config, clock, log)).toThrow('sasl.listeners names EXTERNAL, not a listener of kafka.listeners (PLAINTEXT, SASL)');
  });
});

describe('sasl with the listener map', () => {
  it('a SASL_PLAINTEXT or SASL_SSL listener requires SASL without being named in sasl.listeners, and needs a user', () => {
    const listeners = [{ name: 'PLAINTEXT' }, { name: 'CLIENTS', securityProtocol: 'SASL_PLAINTEXT' }];
    const config = loadConfig({ env: { STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: 'admin-password' } });
    const sasl = saslSettings({ ...config, kafka: { listeners } }, clock, log).sasl;
    expect(sasl?.requires({ listenerName: 'CLIENTS', remoteAddress: '' })).toBe(true);
    expect(sasl?.requires({ listenerName: 'PLAINTEXT', remoteAddress: '' })).toBe(false);
    expect(() => saslSettings({ ...loadConfig({ env: {} }), kafka: { listeners } }, clock, log)).toThrow('listener CLIENTS requires SASL, which has no user');
  });
});
