// Which broker the compatibility suite runs against, from the environment. Kept free of
// vitest imports: the global setup uses it too.
//
//   STRATUS_COMPAT_BOOTSTRAP=host:port  a broker that is already running (Stratus, Kafka, ...)
//   STRATUS_COMPAT_TARGET=kafka         each test file starts the provisioned Apache Kafka
//                                       (test/peers/kafka-broker.sh) and stops it afterwards
//
// Neither set is an error, never a silent skip: a compatibility suite that passes without
// having talked to a broker would be worse than none.

export type TargetMode = { readonly kind: 'external'; readonly bootstrap: string } | { readonly kind: 'kafka' };

/** The modes STRATUS_COMPAT_TARGET accepts (the ones that start a broker themselves). */
export const STARTED_TARGETS = ['kafka'] as const;

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
  if (target === 'kafka') return { kind: 'kafka' };
  if (target !== '') {
    throw new Error(`compat: unknown STRATUS_COMPAT_TARGET "${target}"; known: ${STARTED_TARGETS.join(', ')}`);
  }
  throw new Error(
    'compat: no broker to test. Set STRATUS_COMPAT_BOOTSTRAP=host:port to run the compatibility suite ' +
      'against a running broker (e.g. `stratus dev`), or STRATUS_COMPAT_TARGET=kafka to start the ' +
      'provisioned Apache Kafka (test/peers/kafka-broker.sh) and validate the suite itself.',
  );
}
