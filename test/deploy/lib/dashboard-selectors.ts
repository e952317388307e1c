// What a Grafana dashboard asks Prometheus for, checked against what the processes export:
// the series selectors of every PromQL expression (metric name and `label="value"`
// matchers) and the samples of a /metrics page in Prometheus's text format. A selector is
// served when some sample has its name and every one of its equality matchers — so a
// renamed metric or label value in services/cli/src/*metrics.ts breaks the check instead
// of leaving a dashboard panel empty.

export interface Selector {
  readonly name: string;
  /** Equality matchers only (`label="value"`); !=, =~ and !~ select by absence or pattern and are not checked. */
  readonly equals: Readonly<Record<string, string>>;
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

// Words of PromQL that stand where a metric name could: aggregation modifiers, binary
// operators and set operators, and literals.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);

function parseMatchers(body: string): Record<string, string> {
  const equals: Record<string, string> = {};
  for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    if (m[2] === '=') equals[m[1]!] = m[3]!;
  }
  return equals;
}

/** The series selectors of a PromQL expression (functions, keywords, grouping labels and durations left out). */
export function selectorsOf(expr: string): Selector[] {
  // Matcher bodies are set aside first, so that the clean-up below never touches a label value.
  const bodies: string[] = [];
  const cleaned = expr
    .replace(/\{([^}]*)\}/g, (_, body: string) => `{@${letters(bodies.push(body) - 1)}}`)
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations: [1m], [5m:30s]
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping label lists
    .replace(/\b\d[\w.]*/g, ' '); // numbers and durations (0.99, 1e3, offset 5m)
  const out: Selector[] = [];
  for (const m of cleaned.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{@([a-z]+)\})?(\s*\()?/g)) {
    const name = m[1]!;
    if (m[4] !== undefined || KEYWORDS.has(name.toLowerCase())) continue; // a function call, or a keyword
    out.push({ name, equals: parseMatchers(m[3] === undefined ? '' : bodies[index(m[3])]!) });
  }
  return out;
}

/** A number as letters (0 → a, 26 → ba) and back: placeholders that no clean-up step matches. */
function letters(n: number): string {
  return (n >= 26 ? letters(Math.floor(n / 26)) : '') + String.fromCharCode(97 + (n % 26));
}

function index(s: string): number {
  return [...s].reduce((n, c) => n * 26 + c.charCodeAt(0) - 97, 0);
}

/** The samples of a Prometheus text-format page (comments and values left out). */
export function samplesOf(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels });
  }
  return out;
}

/** Whether some sample has the selector's name and each of its equality matchers, leaving out labels Prometheus adds itself (job, instance). */
export function served(selector: Selector, samples: readonly Sample[], scrapeLabels: readonly string[] = ['job', 'instance']): boolean {
  const wanted = Object.entries(selector.equals).filter(([label]) => !scrapeLabels.includes(label));
  return samples.some((s) => s.name === selector.name && wanted.every(([label, value]) => s.labels[label] === value));
}
