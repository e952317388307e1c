// Secure by default (config/plaintext-guard.ts): `stratus dev` and `stratus broker` refuse a
// PLAINTEXT listener bound beyond loopback unless kafka.allowPlaintextExternal says plaintext
// is intended — in validation, so `stratus config check` reports it too. A real start:
// test/dev/plaintext-guard.test.ts.

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadConfigWith } from '../src/config/load.ts';
import { brokerConfigSchema } from '../src/config/broker-schema.ts';
import { isLoopbackHost } from '../src/config/plaintext-guard.ts';

const BROKER = { STRATUS_NODE_ID: '1', STRATUS_CONTROLLER_ENDPOINTS: '127.0.0.1:9190', STRATUS_OBJECT_STORE_URL: 'file:///tmp/x' };

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('a PLAINTEXT listener beyond loopback', () => {
  it('tells loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '127.255.0.9', '::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'broker.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.7', '192.168.1.2', '2001:db8::1', '::ffff:10.0.0.1', 'broker-1', 'kafka.example', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('is refused by dev and broker, naming the listener, the key it came from and the way out', () => {
    const dev = problems(() => loadConfig({ env: { STRATUS_KAFKA_HOST: '0.0.0.0' } }));
    expect(dev).toHaveLength(1);
    expect(dev[0]).toMatch(/^kafka\.host \(from STRATUS_KAFKA_HOST\): listener PLAINTEXT would accept plaintext without authentication on 0\.0\.0\.0:9092, beyond loopback/);
    expect(dev[0]).toContain('kafka.allowPlaintextExternal=true (STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL=true)');
    expect(dev[0]).toContain('stratus dev --secure');
    const broker = problems(() => loadConfigWith(brokerConfigSchema, { env: { ...BROKER, STRATUS_KAFKA_LISTENERS: 'INTERNAL://10.0.0.7:9092,LOCAL://127.0.0.1:9093,V6://[::]:9094', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'V6://b:9094' } }));
    expect(broker.map((p) => /^(\S+) .*listener (\w+) .* on (\S+), beyond/.exec(p)?.slice(1))).toEqual([
      ['kafka.listeners', 'INTERNAL', '10.0.0.7:9092'],
      ['kafka.listeners', 'V6', '[::]:9094'],
    ]);
  });

  it('is allowed with kafka.allowPlaintextExternal, with a security protocol, or as a SASL listener', () => {
    expect(problems(() => loadConfig({ env: { STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL: 'true' } }))).toEqual([]);
    expect(problems(() => loadConfigWith(brokerConfigSchema, { env: { ...BROKER, STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL: 'true' } }))).toEqual([]);
    // SASL_PLAINTEXT is a security protocol: clients authenticate.
    expect(problems(() => loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'SASL_PLAINTEXT://0.0.0.0:9092', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'SASL_PLAINTEXT://b:9092', STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: 'x'.repeat(12) } }))).toEqual([]);
    // A PLAINTEXT listener named in sasl.listeners requires SASL too.
    expect(problems(() => loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'CLIENTS://0.0.0.0:9092', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'CLIENTS://b:9092', STRATUS_SASL_LISTENERS: 'CLIENTS', STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: 'x'.repeat(12) } }))).toEqual([]);
    // The default, 127.0.0.1, is loopback: nothing changes for a laptop.
    expect(problems(() => loadConfig({ env: {} }))).toEqual([]);
  });
});
