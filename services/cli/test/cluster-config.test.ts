// The broker's and controller's configurations: the example files load and show every
// key with its default (only the required keys differ from an empty config), STRATUS_*
// variables override them (lists comma-separated), and bad values fail naming the key.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigWith } from '../src/config/load.ts';
import { brokerConfigSchema } from '../src/config/broker-schema.ts';
import { controllerConfigSchema } from '../src/config/controller-schema.ts';

const CONFIG_DIR = join(import.meta.dirname, '..', '..', '..', 'config');

describe('stratus broker configuration', () => {
  const required = { STRATUS_NODE_ID: '1', STRATUS_CONTROLLER_ENDPOINTS: '127.0.0.1:9190,127.0.0.1:9191', STRATUS_OBJECT_STORE_URL: 's3://stratus/data?endpoint=http://127.0.0.1:9000&region=us-east-1' };

  it('config/broker.yaml holds every default; only the required keys and dataDir are its own', () => {
    const example = loadConfigWith(brokerConfigSchema, { file: join(CONFIG_DIR, 'broker.yaml'), env: {} });
    const defaults = loadConfigWith(brokerConfigSchema, { env: required });
    expect({ ...example, dataDir: defaults.dataDir, groups: { ...example.groups, initialRebalanceDelay: undefined } }).toEqual({ ...defaults, groups: { ...defaults.groups, initialRebalanceDelay: undefined } });
    expect(example.groups.initialRebalanceDelay).toBe(3000);
    expect(example.controller.endpoints).toEqual(['127.0.0.1:9190', '127.0.0.1:9191']);
  });

  it('names missing and bad keys', () => {
    expect(() => loadConfigWith(brokerConfigSchema, { env: {} })).toThrow(/node\.id: required[\s\S]*controller\.endpoints: required[\s\S]*objectStore\.url: required/);
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_CONTROLLER_ENDPOINTS: 'localhost' } })).toThrow(/controller\.endpoints\.0 .*host:port/);
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_CLUSTER_HEARTBEAT_INTERVAL: '5s' } })).toThrow(/cluster\.heartbeatInterval \(from STRATUS_CLUSTER_HEARTBEAT_INTERVAL\): must be below/);
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_CLUSTER_SAFETY_MARGIN: '6s' } })).toThrow(/cluster\.safetyMargin .*must be below cluster\.brokerLease/);
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_NODE_ID: '-1' } })).toThrow(/node\.id \(from STRATUS_NODE_ID\)/);
    expect(() => loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_CONTROLLER_TLS_CERT_FILE: '/tls/broker.crt' } })).toThrow(/controller\.tls\.certFile .*certFile and keyFile go together/);
    expect(loadConfigWith(brokerConfigSchema, { env: { ...required, STRATUS_CONTROLLER_TLS_CA_FILE: '/tls/ca.crt' } }).controller.tls).toEqual({ caFile: '/tls/ca.crt' });
    // Controller-side keys are not the broker's.
    expect(() => loadConfigWith(brokerConfigSchema, { env: required, flags: { 'compaction.enabled': 'false' } })).toThrow(/unknown setting compaction\.enabled/);
  });
});

describe('stratus controller configuration', () => {
  const required = { STRATUS_METADATA_URL: 'redis://127.0.0.1:6379', STRATUS_OBJECT_STORE_URL: 's3://stratus/data?endpoint=http://127.0.0.1:9000&region=us-east-1' };

  it('config/controller.yaml holds every default; only the required keys are its own', () => {
    const example = loadConfigWith(controllerConfigSchema, { file: join(CONFIG_DIR, 'controller.yaml'), env: {} });
    expect(example).toEqual(loadConfigWith(controllerConfigSchema, { env: required }));
    expect(example.election).toEqual({ leaseTime: 3000, renewInterval: 1000, acquireRetry: 1000, closeTimeout: 10_000 });
    expect(example.grpc.port).toBe(9190);
  });

  it('names missing and bad keys', () => {
    expect(() => loadConfigWith(controllerConfigSchema, { env: {} })).toThrow(/metadata\.url: required[\s\S]*objectStore\.url: required/);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_METADATA_URL: 'postgres://x' } })).toThrow(/metadata\.url \(from STRATUS_METADATA_URL\): use redis:\/\//);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_ELECTION_RENEW_INTERVAL: '2s' } })).toThrow(/election\.renewInterval .*at most half of election\.leaseTime/);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_CLUSTER_HEARTBEAT_INTERVAL: '3s' } })).toThrow(/cluster\.heartbeatInterval .*at most a third of cluster\.brokerLease/);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_CLUSTER_SUSPECT_AFTER_SILENCE: '1s' } })).toThrow(/cluster\.suspectAfterSilence .*from two heartbeat intervals \(2000 ms\)/);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_CLUSTER_SUSPECT_AFTER_DISCONNECT: '7s' } })).toThrow(/cluster\.suspectAfterDisconnect .*at most cluster\.brokerLease/);
    expect(loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_CLUSTER_SUSPECT_AFTER_DISCONNECT: '250ms' } }).cluster.suspectAfterDisconnect).toBe(250);
    expect(() => loadConfigWith(controllerConfigSchema, { env: { ...required, STRATUS_NAME: 'a b' } })).toThrow(/name \(from STRATUS_NAME\)/);
    expect(() => loadConfigWith(controllerConfigSchema, { env: required, flags: { 'kafka.port': '9092' } })).toThrow(/unknown setting kafka\.port/);
  });
});
