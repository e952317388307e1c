// kafka.listeners and kafka.advertisedListeners (config/listeners.ts) as start-up loads
// them: Kafka's `NAME://host:port,...` syntax from a file or STRATUS_KAFKA_LISTENERS /
// STRATUS_KAFKA_ADVERTISED_LISTENERS, the one PLAINTEXT listener of kafka.host/port when
// unset, and every mistake named by its key and where it came from.

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadConfigWith } from '../src/config/load.ts';
import { brokerConfigSchema } from '../src/config/broker-schema.ts';
import { brokerSettings } from '../src/parts/broker-settings.ts';

/** Every problem line of a configuration that must fail. */
function problems(env: Record<string, string>, flags: Record<string, string> = {}): string[] {
  try {
    loadConfig({ env, flags });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`valid: ${JSON.stringify(env)}`);
}

/** Plaintext beyond loopback is refused unless allowed (config/plaintext-guard.ts; plaintext-guard.test.ts): these tests are about addresses. */
const PLAINTEXT_OK = { STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL: 'true' };
const TWO = { STRATUS_KAFKA_LISTENERS: 'INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19092', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://broker-1:9092,EXTERNAL://127.0.0.1:19092', ...PLAINTEXT_OK };

describe('kafka.listeners', () => {
  it('unset: one PLAINTEXT listener at kafka.host:port, advertised as advertisedHost:advertisedPort or itself (as before)', () => {
    expect(loadConfig({ env: {} }).kafka.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 9092, securityProtocol: 'PLAINTEXT' }]);
    const k = loadConfig({ env: { STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_PORT: '9093', STRATUS_KAFKA_ADVERTISED_HOST: 'kafka.example', ...PLAINTEXT_OK } }).kafka;
    expect(k.listeners).toEqual([{ name: 'PLAINTEXT', host: '0.0.0.0', port: 9093, advertisedHost: 'kafka.example', advertisedPort: 9093, securityProtocol: 'PLAINTEXT' }]);
    expect([k.host, k.port]).toEqual(['0.0.0.0', 9093]);
    // advertisedListeners alone advertises that one listener.
    expect(loadConfig({ env: { STRATUS_KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:29092' } }).kafka.listeners[0]).toMatchObject({ host: '127.0.0.1', port: 9092, advertisedHost: 'localhost', advertisedPort: 29092, securityProtocol: 'PLAINTEXT' });
  });

  it('reads Kafka\'s syntax from STRATUS_KAFKA_LISTENERS and STRATUS_KAFKA_ADVERTISED_LISTENERS, in order, IPv6 in brackets', () => {
    expect(loadConfig({ env: TWO }).kafka.listeners).toEqual([
      { name: 'INTERNAL', host: '0.0.0.0', port: 9092, advertisedHost: 'broker-1', advertisedPort: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'EXTERNAL', host: '0.0.0.0', port: 19092, advertisedHost: '127.0.0.1', advertisedPort: 19092, securityProtocol: 'PLAINTEXT' },
    ]);
    const v6 = loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'LOCAL6://[::1]:9092, ALL6://[::]:9093', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'ALL6://[2001:db8::1]:9093', ...PLAINTEXT_OK } }).kafka.listeners;
    expect(v6).toEqual([
      { name: 'LOCAL6', host: '::1', port: 9092, advertisedHost: '::1', advertisedPort: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'ALL6', host: '::', port: 9093, advertisedHost: '2001:db8::1', advertisedPort: 9093, securityProtocol: 'PLAINTEXT' },
    ]);
    // A listener without its own advertised entry is advertised at its address.
    expect(loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'A://127.0.0.1:9092,B://127.0.0.2:9093', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'B://b.example:9093', ...PLAINTEXT_OK } }).kafka.listeners.map((l) => `${l.advertisedHost}:${l.advertisedPort}`)).toEqual(['127.0.0.1:9092', 'b.example:9093']);
  });

  it('a listener written without a host binds kafka.host (Kafka\'s default interface)', () => {
    const k = loadConfig({ env: { STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_LISTENERS: 'INTERNAL://:9092,EXTERNAL://127.0.0.1:19092', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://broker-1:9092', ...PLAINTEXT_OK } }).kafka;
    expect(k.listeners.map((l) => `${l.name} ${l.host}:${l.port}`)).toEqual(['INTERNAL 0.0.0.0:9092', 'EXTERNAL 127.0.0.1:19092']);
    expect(loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'PLAINTEXT://:9094' } }).kafka.listeners[0]).toMatchObject({ host: '127.0.0.1', advertisedHost: '127.0.0.1' });
  });

  it('cannot be set together with kafka.port or kafka.advertised*, nor with a kafka.host no listener uses: the error names both keys', () => {
    expect(problems({ ...TWO, STRATUS_KAFKA_PORT: '9092' })).toEqual(['kafka.port (from STRATUS_KAFKA_PORT): cannot be set together with kafka.listeners (each listener has its own port): remove one of them (got "9092")']);
    expect(problems(TWO, { 'kafka.port': '9093' })).toEqual(['kafka.port (from the command line): cannot be set together with kafka.listeners (each listener has its own port): remove one of them (got "9093")']);
    expect(problems({ ...TWO, STRATUS_KAFKA_ADVERTISED_HOST: 'x', STRATUS_KAFKA_ADVERTISED_PORT: '1' }).join('\n')).toMatch(
      /^kafka\.advertisedHost \(from STRATUS_KAFKA_ADVERTISED_HOST\): cannot be set together with kafka\.listeners.*\nkafka\.advertisedPort \(from STRATUS_KAFKA_ADVERTISED_PORT\): cannot be set together with kafka\.listeners/,
    );
    expect(problems({ ...TWO, STRATUS_KAFKA_HOST: '0.0.0.0' })).toEqual([
      'kafka.host (from STRATUS_KAFKA_HOST): cannot be set together with kafka.listeners when every listener names its host (kafka.host is then unused): remove it, or leave a listener\'s host empty (NAME://:9092) to bind it at kafka.host (got "0.0.0.0")',
    ]);
    expect(problems({ STRATUS_KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://a:1', STRATUS_KAFKA_ADVERTISED_HOST: 'b' })).toEqual(['kafka.advertisedHost (from STRATUS_KAFKA_ADVERTISED_HOST): cannot be set together with kafka.advertisedListeners: remove one of them (got "b")']);
  });

  it('names malformed lists, names and addresses', () => {
    const listeners = (value: string) => problems({ STRATUS_KAFKA_LISTENERS: value }).map((p) => p.replace(` (got "${value}")`, ''));
    const at = 'kafka.listeners (from STRATUS_KAFKA_LISTENERS): ';
    expect(listeners('internal://127.0.0.1:9092')).toEqual([`${at}"internal://127.0.0.1:9092": the listener name must be upper-case letters, digits and _, starting with a letter (got "internal")`]);
    expect(listeners('1ST://127.0.0.1:9092')).toEqual([`${at}"1ST://127.0.0.1:9092": the listener name must be upper-case letters, digits and _, starting with a letter (got "1ST")`]);
    expect(listeners('A://127.0.0.1:9092,A://127.0.0.1:9093')).toEqual([`${at}listener A is given twice (names are unique)`]);
    expect(listeners('A://127.0.0.1:9092,B://127.0.0.2:9092')).toEqual([`${at}listeners A and B both use port 9092 (ports are unique)`]);
    expect(listeners('A://127.0.0.1:9092,')).toEqual([`${at}entry 2 is empty`]);
    expect(listeners('A://127.0.0.1')).toEqual([`${at}"A://127.0.0.1" is not NAME://host:port (an IPv6 address goes in brackets: NAME://[::1]:9092)`]);
    expect(listeners('A://::1:9092')).toEqual([`${at}"A://::1:9092": an IPv6 address goes in brackets: A://[::1]:9092`]);
    expect(listeners('A://127.0.0.1:70000')).toEqual([`${at}"A://127.0.0.1:70000": port 70000 is above 65535`]);
    expect(listeners('A://0.0.0.0:9092')).toEqual([`${at}listener A binds 0.0.0.0:9092, which clients cannot connect to: give it an address in kafka.advertisedListeners (A://host:port)`]);
    expect(listeners('A://[::]:9092')).toEqual([`${at}listener A binds [::]:9092, which clients cannot connect to: give it an address in kafka.advertisedListeners (A://host:port)`]);
    // Port 0 (a free port, for tests) may appear more than once.
    expect(loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'A://127.0.0.1:0,B://127.0.0.1:0' } }).kafka.listeners.map((l) => l.port)).toEqual([0, 0]);
  });

  it('names advertised entries that are no listener or no address a client can use', () => {
    const advertised = (value: string) => problems({ STRATUS_KAFKA_LISTENERS: 'INTERNAL://127.0.0.1:9092,EXTERNAL://127.0.0.1:19092', STRATUS_KAFKA_ADVERTISED_LISTENERS: value }).map((p) => p.replace(` (got "${value}")`, ''));
    const at = 'kafka.advertisedListeners (from STRATUS_KAFKA_ADVERTISED_LISTENERS): ';
    expect(advertised('OTHER://x:1')).toEqual([`${at}OTHER is not a listener (kafka.listeners: INTERNAL, EXTERNAL)`]);
    expect(advertised('EXTERNAL://0.0.0.0:19092')).toEqual([`${at}EXTERNAL: 0.0.0.0 binds every interface and cannot be advertised: clients need an address they can connect to`]);
    expect(advertised('EXTERNAL://:19092')).toEqual([`${at}EXTERNAL: an advertised address needs a host`]);
    expect(advertised('EXTERNAL://a:1,EXTERNAL://b:2')).toEqual([`${at}listener EXTERNAL is given twice (names are unique)`]);
    // Advertised ports may repeat (Kafka: one listener may advertise another's address).
    expect(loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'INTERNAL://127.0.0.1:9092,EXTERNAL://127.0.0.1:19092', STRATUS_KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://lb:9092,EXTERNAL://lb:9092' } }).kafka.listeners).toHaveLength(2);
    expect(problems({ STRATUS_KAFKA_ADVERTISED_LISTENERS: 'EXTERNAL://x:1' })).toEqual(['kafka.advertisedListeners (from STRATUS_KAFKA_ADVERTISED_LISTENERS): EXTERNAL is not a listener (kafka.listeners is unset: the one listener is PLAINTEXT) (got "EXTERNAL://x:1")']);
  });

  it('is the same for stratus broker, and becomes the Broker\'s listeners and advertised endpoints', () => {
    const required = { STRATUS_NODE_ID: '1', STRATUS_CONTROLLER_ENDPOINTS: '127.0.0.1:9190', STRATUS_OBJECT_STORE_URL: 'file:///tmp/x' };
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, ...TWO, STRATUS_KAFKA_PORT: '1' } })).toThrow(/kafka\.port \(from STRATUS_KAFKA_PORT\): cannot be set together with kafka\.listeners/);
    const config = loadConfigWith(brokerConfigSchema, { env: { ...required, ...TWO } });
    const { config: broker, network } = brokerSettings(config, { initialRebalanceDelayMs: 0, groupCleanupIntervalMs: 1000 });
    expect(network.listeners).toEqual([
      { name: 'INTERNAL', host: '0.0.0.0', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'EXTERNAL', host: '0.0.0.0', port: 19092, securityProtocol: 'PLAINTEXT' },
    ]);
    expect(broker.endpoints).toEqual([
      { listener: 'INTERNAL', host: 'broker-1', port: 9092 },
      { listener: 'EXTERNAL', host: '127.0.0.1', port: 19092 },
    ]);
    expect([broker.advertisedHost, broker.advertisedPort]).toEqual(['broker-1', 9092]);
  });
});
