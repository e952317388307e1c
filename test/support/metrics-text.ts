// Reading a process's /metrics in tests: one scrape as series → value, and sums over the
// series of a metric whose labels contain given pairs.

/** series (`name{labels}` as printed) → value, of one scrape of `url`. */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum of the series of `name` whose labels contain every pair of `labels` (0 when there is none). */
export function sumSeries(m: ReadonlyMap<string, number>, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const [series, v] of m) {
    if (series !== name && !series.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, val]) => series.includes(`${k}="${val}"`))) total += v;
  }
  return total;
}

/** The series of `name` whose labels contain every pair of `labels`. */
export function seriesOf(m: ReadonlyMap<string, number>, name: string, labels: Readonly<Record<string, string>> = {}): string[] {
  return [...m.keys()].filter((s) => (s === name || s.startsWith(`${name}{`)) && Object.entries(labels).every(([k, val]) => s.includes(`${k}="${val}"`)));
}

/** Polls `check` every 200 ms until it holds, failing after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
