// Counters of authentication and authorization outcomes — Kafka's successful- and
// failed-authentication totals and its authorizer's allowed/denied rates, as Prometheus
// counters. Every label takes a fixed set of values (the mechanisms the broker enables,
// allowed/denied), so the series stay few whatever clients send: a mechanism a client
// names but the broker does not offer is counted as `other`.

import type { Metric } from 'prom-client';
import type { CounterSlot } from './hot-path.ts';
import { SlotCounter } from './hot-path.ts';

export interface SecurityMetrics {
  readonly authentication: (mechanism: string, succeeded: boolean, reauthentication: boolean) => void;
  readonly authorization: (allowed: boolean) => void;
  /** Registered with the registry once it exists (createMetrics' `early`). */
  readonly metrics: readonly Metric[];
}

/** A mechanism the broker does not offer, in the mechanism label. */
const OTHER_MECHANISM = 'other';

export function securityMetrics(mechanisms: readonly string[]): SecurityMetrics {
  const authentications = new SlotCounter(
    'stratus_sasl_authentications_total',
    'SASL authentications by mechanism and result (succeeded, failed), first ones and KIP-368 re-authentications',
    ['mechanism', 'result', 'reauthentication'],
  );
  const slots = new Map<string, CounterSlot>();
  for (const m of [...mechanisms, OTHER_MECHANISM]) {
    for (const result of ['succeeded', 'failed']) for (const re of ['false', 'true']) slots.set(`${m}|${result}|${re}`, authentications.slot(m, result, re));
  }
  const decisions = new SlotCounter('stratus_authorization_decisions_total', 'Authorization decisions of the ACL authorizer by result (allowed, denied), one per resource checked', ['result']);
  const allowed = decisions.slot('allowed');
  const denied = decisions.slot('denied');
  return {
    authentication: (mechanism, succeeded, reauthentication) => {
      const m = mechanisms.includes(mechanism) ? mechanism : OTHER_MECHANISM;
      slots.get(`${m}|${succeeded ? 'succeeded' : 'failed'}|${reauthentication}`)!.inc();
    },
    authorization: (ok) => (ok ? allowed : denied).inc(),
    metrics: [authentications.metric, decisions.metric],
  };
}
