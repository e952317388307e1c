// Reads object-store request counts from processes' Prometheus /metrics (the
// stratus_object_store_requests gauge every broker, controller and `stratus dev` serves):
// the PUT/GET totals `stratus admin objects` shows. Only that family is parsed.

const FAMILY = 'stratus_object_store_requests';
const SCRAPE_TIMEOUT_MS = 5_000;

/** Requests by operation (put, get, head, ...) then outcome (ok, error kinds). */
export type RequestCounts = Record<string, Record<string, number>>;

/** "host:port" → http://host:port/metrics; a URL is taken as given. */
export function metricsUrl(raw: string): string {
  const s = raw.trim();
  return /^https?:\/\//.test(s) ? s : `http://${s}/metrics`;
}

/** Adds each `stratus_object_store_requests{operation="..",outcome=".."} N` sample of `text` into `into`. */
export function addRequestSamples(text: string, into: RequestCounts): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${FAMILY}{`)) continue;
    const m = /^\S+\{([^}]*)\}\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    const value = Number(m[2]);
    if (labels['operation'] === undefined || !Number.isFinite(value)) continue;
    const op = (into[labels['operation']] ??= {});
    const outcome = labels['outcome'] ?? 'all';
    op[outcome] = (op[outcome] ?? 0) + value;
  }
}

export async function scrapeRequests(urls: readonly string[]): Promise<{ counts: RequestCounts; errors: { url: string; message: string }[] }> {
  const counts: RequestCounts = {};
  const errors: { url: string; message: string }[] = [];
  await Promise.all(
    urls.map(async (url) => {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        addRequestSamples(await r.text(), counts);
      } catch (e) {
        errors.push({ url, message: (e as Error).message });
      }
    }),
  );
  return { counts, errors };
}

/** Every outcome of one operation. */
export const totalOf = (counts: RequestCounts, operation: string): number => Object.values(counts[operation] ?? {}).reduce((n, x) => n + x, 0);
