// Durations in config files: ISO-8601 ("PT10M", parsed by js-joda) or the short forms
// operators type ("500ms", "10s", "5m", "1h", "7d"). Plain numbers are not accepted:
// a bare 500 could mean seconds or milliseconds, and guessing wrong is silent.

import { Duration } from '@js-joda/core';

const SHORT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration string, or an error message. */
export function parseDurationMs(text: string): number | string {
  const t = text.trim();
  const m = SHORT.exec(t);
  if (m) return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  try {
    return Duration.parse(t).toMillis();
  } catch {
    return `"${text}" is not a duration (use e.g. 500ms, 10s, 5m, 1h, or ISO-8601 like PT10M)`;
  }
}
