// Kafka's config value types and the parsers behind them, shared by the topic schema and
// the broker resource. Values travel as strings (as in the Kafka protocol); these check
// them without converting, so what a client set is what DescribeConfigs shows back.

/** Kafka's ConfigType codes (DescribeConfigs v3+). */
export const CONFIG_TYPE = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
} as const;

export type ConfigTypeName = keyof typeof CONFIG_TYPE;

/** Kafka's ConfigSource codes used by Stratus. */
export const CONFIG_SOURCE = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Why `value` is not an integer of the type in [min, max], or undefined. BigInt: a long may exceed 2^53 (Long.MAX_VALUE is a common "forever"). */
export function integerProblem(value: string, type: 'int' | 'long', min: bigint): string | undefined {
  const t = value.trim();
  if (!/^[+-]?\d{1,20}$/.test(t)) return `"${value}" is not a${type === 'int' ? 'n int' : ' long'}`;
  const n = BigInt(t);
  const max = type === 'int' ? INT_MAX : LONG_MAX;
  if (n < (type === 'int' ? INT_MIN : LONG_MIN) || n > max) return `${value} is out of range for a${type === 'int' ? 'n int' : ' long'}`;
  if (n < min) return `${value} is less than the minimum ${min}`;
  return undefined;
}

/** A validated long as a number, clamped to the safe-integer range (enough for any duration or size). */
export function parseLong(value: string): number {
  const n = BigInt(value.trim());
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (n < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(n);
}

/** A Kafka list value: comma-separated, items trimmed, empty items dropped. */
export function listItems(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Why `value` is not a Kafka boolean ("true" or "false", any case), or undefined. */
export function booleanProblem(value: string): string | undefined {
  return ['true', 'false'].includes(value.trim().toLowerCase()) ? undefined : `"${value}" is not true or false`;
}

/** Why `value` is not a double in [min, max], or undefined. */
export function doubleProblem(value: string, min: number, max: number): string | undefined {
  const t = value.trim();
  const n = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(n)) return `"${value}" is not a number`;
  if (n < min || n > max) return `${value} is outside ${min}..${max}`;
  return undefined;
}
