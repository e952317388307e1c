// The compatibility suite's target selection (test/compat/support/mode.ts; the suite's own
// files are *.compat.ts, outside the unit suite, so its pure parts are tested here): the
// cluster mode and its object store, and bad settings named rather than silently replaced.

import { describe, expect, it } from 'vitest';
import { describeMode, targetMode } from '../compat/support/mode.ts';

describe('compat target mode', () => {
  it('defaults to stratus; kafka and cluster by STRATUS_COMPAT_TARGET; cluster on MinIO unless told gcs', () => {
    expect(targetMode({})).toEqual({ kind: 'stratus' });
    expect(targetMode({ STRATUS_COMPAT_TARGET: 'kafka' })).toEqual({ kind: 'kafka' });
    expect(targetMode({ STRATUS_COMPAT_TARGET: 'cluster' })).toEqual({ kind: 'cluster', objectStore: 'minio' });
    expect(targetMode({ STRATUS_COMPAT_TARGET: 'cluster', STRATUS_COMPAT_CLUSTER_STORE: 'gcs' })).toEqual({ kind: 'cluster', objectStore: 'gcs' });
    expect(describeMode({ kind: 'cluster', objectStore: 'gcs' })).toMatch(/cluster .*fake-gcs-server/);
    expect(targetMode({ STRATUS_COMPAT_BOOTSTRAP: '127.0.0.1:9092' })).toEqual({ kind: 'external', bootstrap: '127.0.0.1:9092' });
  });

  it('names bad settings', () => {
    expect(() => targetMode({ STRATUS_COMPAT_TARGET: 'clusters' })).toThrow(/unknown STRATUS_COMPAT_TARGET "clusters"; known: stratus, kafka, cluster/);
    expect(() => targetMode({ STRATUS_COMPAT_TARGET: 'cluster', STRATUS_COMPAT_CLUSTER_STORE: 's3' })).toThrow(/unknown STRATUS_COMPAT_CLUSTER_STORE "s3"; known: minio, gcs/);
    expect(() => targetMode({ STRATUS_COMPAT_CLUSTER_STORE: 'gcs' })).toThrow(/STRATUS_COMPAT_CLUSTER_STORE \(gcs\) is for STRATUS_COMPAT_TARGET=cluster, not stratus/);
    expect(() => targetMode({ STRATUS_COMPAT_TARGET: 'cluster', STRATUS_COMPAT_BOOTSTRAP: '127.0.0.1:9092' })).toThrow(/not both/);
  });
});
