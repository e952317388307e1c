import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig } from '../src/config/load.ts';
import { parseDurationMs } from '../src/config/duration.ts';

describe('configuration', () => {
  it('uses defaults, then the file, then STRATUS_* variables, then flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'kafka:\n  port: 1111\n  maxConnections: 50\nupload:\n  maxDelay: 2s\n');
    const c = loadConfig({ file, env: { STRATUS_KAFKA_PORT: '2222', STRATUS_UPLOAD_MAX_DELAY: '750ms' }, flags: { 'kafka.port': '3333' } });
    expect(c.kafka.port).toBe(3333);
    expect(c.kafka.maxConnections).toBe(50);
    expect(c.upload.maxDelay).toBe(750);
    expect(c.http.port).toBe(9644);
    expect(c.topics.autoCreate).toBe(true);
    expect(c.wal.syncWrites).toBe(true);
    expect(c.groups.initialRebalanceDelay).toBeUndefined(); // the command picks its own default
    expect(loadConfig({ env: { STRATUS_GROUPS_INITIAL_REBALANCE_DELAY: '3s' } }).groups.initialRebalanceDelay).toBe(3000);
    expect(c.storage.readAheadBytes).toBe(4 * 1024 * 1024);
    const relaxed = loadConfig({ env: { STRATUS_WAL_SYNC_WRITES: 'false', STRATUS_STORAGE_READ_AHEAD_BYTES: '0' } });
    expect(relaxed.wal.syncWrites).toBe(false);
    expect(relaxed.storage.readAheadBytes).toBe(0);
    expect(() => loadConfig({ env: { STRATUS_WAL_SYNC_WRITES: 'sometimes' } })).toThrow(/wal.syncWrites/);
  });

  it('names the key and where a bad value came from', () => {
    const err = (() => {
      try {
        loadConfig({ env: { STRATUS_KAFKA_PORT: 'x', STRATUS_TOPICS_AUTO_CREATE: 'yes', STRATUS_GROUPS_MIN_SESSION_TIMEOUT: 'later' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('kafka.port (from STRATUS_KAFKA_PORT)');
    expect(problems).toContain('got "x"');
    expect(problems).toContain('topics.autoCreate (from STRATUS_TOPICS_AUTO_CREATE)');
    expect(problems).toContain('groups.minSessionTimeout (from STRATUS_GROUPS_MIN_SESSION_TIMEOUT)');
    expect(() => loadConfig({ flags: { 'kafka.nope': '1' } })).toThrow(/unknown setting kafka.nope/);
  });

  it('rejects unknown keys in files and values outside their limits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'kafka:\n  prot: 1\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/Unrecognized key: "prot"/);
    expect(() => loadConfig({ env: { STRATUS_KAFKA_PORT: '70000' } })).toThrow(/kafka.port/);
    expect(() => loadConfig({ env: { STRATUS_WAL_SEGMENT_BYTES: '10' } })).toThrow(/wal.segmentBytes/);
  });

  it('loads the example file shipped in config/', () => {
    const c = loadConfig({ file: join(import.meta.dirname, '..', '..', '..', 'config', 'dev.yaml'), env: {} });
    expect(c.kafka.port).toBe(9092);
    expect(c.retention.deleteGrace).toBe(600_000);
  });

  it('has offsets retention and every count limit as settings with Kafka-like defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.groups.offsetsRetention).toBe(7 * 86_400_000);
    expect(c.limits).toEqual({
      maxTopics: 10_000,
      maxPartitions: 100_000,
      maxPartitionsPerTopic: 10_000,
      maxGroups: 10_000,
      maxGroupSize: 1_000,
      maxCommittedOffsets: 1_000_000,
      maxAcls: 10_000,
      maxScramCredentials: 100_000,
      maxProducersPerPartition: 10_000,
    });
    const set = loadConfig({ env: { STRATUS_GROUPS_OFFSETS_RETENTION: '1d', STRATUS_LIMITS_MAX_TOPICS: '5', STRATUS_LIMITS_MAX_GROUP_SIZE: '3' } });
    expect([set.groups.offsetsRetention, set.limits.maxTopics, set.limits.maxGroupSize]).toEqual([86_400_000, 5, 3]);
    expect(() => loadConfig({ env: { STRATUS_GROUPS_OFFSETS_RETENTION: '30s' } })).toThrow(/groups.offsetsRetention/);
    expect(() => loadConfig({ env: { STRATUS_LIMITS_MAX_COMMITTED_OFFSETS: '0' } })).toThrow(/limits.maxCommittedOffsets/);
    const shipped = loadConfig({ file: join(import.meta.dirname, '..', '..', '..', 'config', 'dev.yaml'), env: {} });
    expect(shipped.limits).toEqual(c.limits);
    expect(shipped.groups.offsetsRetention).toBe(c.groups.offsetsRetention);
  });

  it('maps paths to environment variable names and parses durations', () => {
    expect(envName(['objectStore', 'url'])).toBe('STRATUS_OBJECT_STORE_URL');
    expect(envName(['dataDir'])).toBe('STRATUS_DATA_DIR');
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('PT10M')).toBe(600_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(typeof parseDurationMs('500')).toBe('string');
  });
});
