// Which broker the compatibility suite runs against, from the environment. Kept free of
// vitest imports: the global setup uses it too.
//
//   (neither variable set)              the default: stratus, as below
//   STRATUS_COMPAT_TARGET=stratus       each test file starts `stratus dev` as a child process
//                                       (test/support/stratus-process.ts) on a fresh data
//                                       directory and stops it (SIGTERM) afterwards
//   STRATUS_COMPAT_TARGET=kafka         each test file starts the provisioned Apache Kafka
//                                       (test/peers/kafka-broker.sh) and stops it afterwards:
//                                       validates the suite itself against the reference
//   STRATUS_COMPAT_TARGET=cluster       each test file starts a local Stratus cluster of real
//                                       processes (test/cluster/lib: Redis, MinIO, 2 controllers,
//                                       3 brokers in racks a/b/c) on free ports; the bootstrap
//                                       lists all three brokers; stopped gracefully afterwards.
//                                       STRATUS_COMPAT_CLUSTER_STORE=gcs: on fake-gcs-server
//                                       instead of MinIO (minio, the default, or gcs)
//   STRATUS_COMPAT_BOOTSTRAP=host:port  a broker that is already running (Stratus, Kafka, ...)
//
// Setting both variables, an unknown target or a malformed address is an error, never a
// silent fallback: a run that tested something other than what was asked for would mislead.

export type TargetMode =
  | { readonly kind: 'external'; readonly bootstrap: string }
  | { readonly kind: 'stratus' }
  | { readonly kind: 'kafka' }
  | { readonly kind: 'cluster'; readonly objectStore: ClusterStore };

/** The object stores the cluster mode can run on (STRATUS_COMPAT_CLUSTER_STORE). */
export const CLUSTER_STORES = ['minio', 'gcs'] as const;
export type ClusterStore = (typeof CLUSTER_STORES)[number];

/** The modes STRATUS_COMPAT_TARGET accepts (the ones that start a broker themselves). */
export const STARTED_TARGETS = ['stratus', 'kafka', 'cluster'] as const;
export type StartedTarget = (typeof STARTED_TARGETS)[number];

/** The mode when neither variable is set. */
export const DEFAULT_TARGET: StartedTarget = 'stratus';

function isStartedTarget(s: string): s is StartedTarget {
  return (STARTED_TARGETS as readonly string[]).includes(s);
}

export function targetMode(env: NodeJS.ProcessEnv = process.env): TargetMode {
  const bootstrap = env['STRATUS_COMPAT_BOOTSTRAP']?.trim() ?? '';
  const target = env['STRATUS_COMPAT_TARGET']?.trim() ?? '';
  if (target !== '' && bootstrap !== '') {
    throw new Error(
      `compat: set either STRATUS_COMPAT_TARGET (${target}) or STRATUS_COMPAT_BOOTSTRAP (${bootstrap}), not both`,
    );
  }
  if (bootstrap !== '') {
    if (!/^[^\s:,]+:\d+$/.test(bootstrap)) {
      throw new Error(`compat: STRATUS_COMPAT_BOOTSTRAP must be one host:port, got "${bootstrap}"`);
    }
    return { kind: 'external', bootstrap };
  }
  const kind = target === '' ? DEFAULT_TARGET : target;
  if (!isStartedTarget(kind)) {
    throw new Error(
      `compat: unknown STRATUS_COMPAT_TARGET "${target}"; known: ${STARTED_TARGETS.join(', ')} ` +
        `(unset: ${DEFAULT_TARGET}), or set STRATUS_COMPAT_BOOTSTRAP=host:port for a running broker`,
    );
  }
  const store = env['STRATUS_COMPAT_CLUSTER_STORE']?.trim() ?? '';
  if (kind !== 'cluster') {
    if (store !== '') throw new Error(`compat: STRATUS_COMPAT_CLUSTER_STORE (${store}) is for STRATUS_COMPAT_TARGET=cluster, not ${kind}`);
    return { kind };
  }
  const objectStore = store === '' ? 'minio' : store;
  if (!(CLUSTER_STORES as readonly string[]).includes(objectStore)) {
    throw new Error(`compat: unknown STRATUS_COMPAT_CLUSTER_STORE "${store}"; known: ${CLUSTER_STORES.join(', ')} (unset: minio)`);
  }
  return { kind, objectStore: objectStore as ClusterStore };
}

/** For messages: what the mode tests. */
export function describeMode(mode: TargetMode, kafkaVersion?: string): string {
  switch (mode.kind) {
    case 'external':
      return `the broker at ${mode.bootstrap}`;
    case 'stratus':
      return 'Stratus (`stratus dev`), started per test file';
    case 'kafka':
      return `Apache Kafka${kafkaVersion === undefined ? '' : ` ${kafkaVersion}`}, started per test file`;
    case 'cluster':
      return `a Stratus cluster (2 \`stratus controller\`, 3 \`stratus broker\`, Redis, ${mode.objectStore === 'gcs' ? 'fake-gcs-server' : 'MinIO'}), started per test file`;
  }
}
