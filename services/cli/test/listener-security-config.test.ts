// kafka.listenerSecurityProtocolMap, kafka.ssl and kafka.listenerSsl (config/listeners.ts)
// as start-up loads them: Kafka's default map when unset, every listener named when set,
// TLS settings per listener with overrides, and each mistake named by its key; then the
// broker's network listeners they become (parts/listener-tls.ts). Loading the files is
// not a config check (they may appear later, in a mounted Secret): the broker does it at
// start, and test/dev/tls-listeners.test.ts runs that with real certificates.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.ts';
import { brokerSettings } from '../src/parts/broker-settings.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`valid: ${JSON.stringify(env)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'stratus-listener-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cert = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
const ca = { certFile: join(dir, 'ca.crt') };
const files = (): Record<string, string> => ({ STRATUS_KAFKA_SSL_CERT_FILE: cert.certFile, STRATUS_KAFKA_SSL_KEY_FILE: cert.keyFile, STRATUS_KAFKA_SSL_CA_FILE: ca.certFile });

describe('listener security protocols', () => {
  it('unset map: a listener named like a protocol has it (Kafka\'s default map), any other name is PLAINTEXT', () => {
    expect(loadConfig({ env: {} }).kafka.listeners.map((l) => l.securityProtocol)).toEqual(['PLAINTEXT']);
    const k = loadConfig({ env: { ...files(), STRATUS_KAFKA_LISTENERS: 'PLAINTEXT://:9092,SSL://:9093,INTERNAL://:9094' } }).kafka;
    expect(k.listeners.map((l) => `${l.name}:${l.securityProtocol}`)).toEqual(['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'INTERNAL:PLAINTEXT']);
    expect(k.listeners[1]!.ssl).toEqual({ certFile: cert.certFile, keyFile: cert.keyFile, caFile: ca.certFile, clientAuth: 'none', principalMappingRules: 'DEFAULT' });
    expect(k.listeners[0]!.ssl).toBeUndefined();
  });

  it('a set map names every listener\'s protocol; malformed entries and unnamed listeners are refused', () => {
    const env = { ...files(), STRATUS_KAFKA_LISTENERS: 'INTERNAL://:9092,EXTERNAL://:9093' };
    const k = loadConfig({ env: { ...env, STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT, EXTERNAL:SSL' } }).kafka;
    expect(k.listeners.map((l) => `${l.name}:${l.securityProtocol}`)).toEqual(['INTERNAL:PLAINTEXT', 'EXTERNAL:SSL']);
    expect(problems({ ...env, STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT' }).join('\n')).toMatch(/kafka.listenerSecurityProtocolMap .*no security protocol for listener EXTERNAL/);
    expect(problems({ ...env, STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:TLS' }).join('\n')).toMatch(/TLS is not a security protocol \(PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL\)/);
    expect(problems({ ...env, STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,INTERNAL:SSL,EXTERNAL:SSL' }).join('\n')).toMatch(/listener INTERNAL is given twice/);
    expect(problems({ ...env, STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'internal=PLAINTEXT' }).join('\n')).toMatch(/is not NAME:PROTOCOL/);
  });

  it('a TLS listener needs a certificate and key; mapping rules are checked with Kafka\'s syntax; client auth is one of Kafka\'s', () => {
    const tlsListener = { STRATUS_KAFKA_LISTENERS: 'SSL://:9093' };
    const missing = problems(tlsListener).join('\n');
    expect(missing).toMatch(/kafka.ssl.certFile: required: listener SSL uses TLS/);
    expect(missing).toMatch(/kafka.ssl.keyFile: required/);
    expect(problems({ ...files(), ...tlsListener, STRATUS_KAFKA_SSL_PRINCIPAL_MAPPING_RULES: 'RULE:^CN=(.*)$/$1/X' }).join('\n')).toMatch(/kafka.ssl.principalMappingRules.*invalid ssl principal mapping rule/);
    expect(problems({ ...files(), ...tlsListener, STRATUS_KAFKA_SSL_CLIENT_AUTH: 'want' }).join('\n')).toMatch(/kafka.ssl.clientAuth/);
    const k = loadConfig({ env: { ...files(), ...tlsListener, STRATUS_KAFKA_SSL_CLIENT_AUTH: 'required', STRATUS_KAFKA_SSL_PRINCIPAL_MAPPING_RULES: 'RULE:^CN=([^,]+).*$/$1/L,DEFAULT' } }).kafka;
    expect(k.listeners[0]!.ssl).toMatchObject({ clientAuth: 'required', principalMappingRules: 'RULE:^CN=([^,]+).*$/$1/L,DEFAULT' });
    expect([k.ssl.reloadInterval, k.ssl.handshakeTimeout]).toEqual([30_000, 10_000]);
  });

  it('kafka.listenerSsl overrides kafka.ssl per listener, and only for TLS listeners that exist', () => {
    const file = join(dir, 'stratus.yaml');
    const yaml = (listenerSsl: string): string => {
      writeFileSync(
        file,
        ['kafka:', '  listeners: PLAINTEXT://:9092,SSL://:9093,MTLS://:9094', '  listenerSecurityProtocolMap: PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SASL_SSL', '  ssl:', `    certFile: ${cert.certFile}`, `    keyFile: ${cert.keyFile}`, '  listenerSsl:', listenerSsl, ''].join('\n'),
      );
      return file;
    };
    const k = loadConfig({ file: yaml(`    MTLS: { clientAuth: required, caFile: ${ca.certFile}, principalMappingRules: 'RULE:^CN=([^,]+).*$/$1/' }`), env: {} }).kafka;
    expect(k.listeners.map((l) => `${l.name}:${l.securityProtocol}:${l.ssl?.clientAuth ?? '-'}:${l.ssl?.caFile ?? '-'}`)).toEqual(['PLAINTEXT:PLAINTEXT:-:-', 'SSL:SSL:none:-', `MTLS:SASL_SSL:required:${ca.certFile}`]);
    expect(k.listeners[2]!.ssl).toMatchObject({ certFile: cert.certFile, principalMappingRules: 'RULE:^CN=([^,]+).*$/$1/' });
    const bad = (listenerSsl: string): string => {
      try {
        loadConfig({ file: yaml(listenerSsl), env: {} });
      } catch (e) {
        return (e as ConfigError).problems.join('\n');
      }
      return 'valid';
    };
    expect(bad('    PLAINTEXT: { clientAuth: required }')).toMatch(/kafka.listenerSsl.PLAINTEXT.*listener PLAINTEXT is PLAINTEXT, which does not use TLS/);
    expect(bad('    OTHER: { clientAuth: required }')).toMatch(/kafka.listenerSsl.OTHER.*OTHER is not a listener/);
  });

  it('becomes the broker\'s network listeners; certificate files that do not load stop the start with the listener and files named', () => {
    const k = loadConfig({ env: { ...files(), STRATUS_KAFKA_LISTENERS: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', STRATUS_KAFKA_SSL_RELOAD_INTERVAL: '0s' } });
    expect(() => brokerSettings(k, { initialRebalanceDelayMs: 0, groupCleanupIntervalMs: 1000 })).toThrow(`listener SSL: cannot load its TLS certificate and key (${cert.certFile}, ${cert.keyFile}, CA ${ca.certFile})`);
    writeFileSync(cert.certFile, 'not a certificate');
    writeFileSync(cert.keyFile, 'not a key');
    writeFileSync(ca.certFile, 'not a CA');
    expect(() => brokerSettings(k, { initialRebalanceDelayMs: 0, groupCleanupIntervalMs: 1000 })).toThrow(/listener SSL: cannot load/);
    const plainOnly = loadConfig({ env: { STRATUS_KAFKA_LISTENERS: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0' } });
    expect(brokerSettings(plainOnly, { initialRebalanceDelayMs: 0, groupCleanupIntervalMs: 1000 }).network.listeners).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' },
    ]);
  });
});
