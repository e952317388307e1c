// Stratus's object-store counters, scraped from its Prometheus endpoint (/metrics on the
// HTTP port) before and after a workload, and what the difference costs at a stated price.

export const OPERATIONS = ['put', 'get', 'head', 'delete', 'deleteMany', 'list'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface ObjectStoreCounters {
  /** Requests by operation, all outcomes. */
  readonly requests: Record<Operation, number>;
  /** Requests whose outcome was not "ok". */
  readonly failed: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  readonly pendingBytes: number;
}

/**
 * Request prices (USD per 1,000 requests), AWS S3 Standard, us-east-1 list prices: PUT, COPY,
 * POST and LIST requests $0.005, GET and all other requests (HEAD) $0.0004, DELETE free.
 * DeleteObjects (deleteMany) is a POST and is priced as one here. Storage ($/GB-month) and
 * data transfer are not included.
 */
export const PRICE_PER_1000: Readonly<Record<Operation, number>> = {
  put: 0.005,
  list: 0.005,
  deleteMany: 0.005,
  get: 0.0004,
  head: 0.0004,
  delete: 0,
};
export const PRICE_SOURCE = 'AWS S3 Standard request list prices (us-east-1): PUT/COPY/POST/LIST $0.005 per 1,000, GET/HEAD $0.0004 per 1,000, DELETE free; DeleteObjects priced as a POST; storage and transfer not included';

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/;

function labels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (s ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export function parseMetrics(text: string): ObjectStoreCounters {
  const requests = Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Operation, number>;
  let failed = 0;
  let bytesWritten = 0;
  let bytesRead = 0;
  let pendingBytes = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    const l = labels(m[2]);
    if (m[1] === 'stratus_object_store_requests') {
      const op = l['operation'] as Operation | undefined;
      if (op !== undefined && op in requests) requests[op] += value;
      if (l['outcome'] !== 'ok') failed += value;
    } else if (m[1] === 'stratus_object_store_bytes') {
      if (l['direction'] === 'written') bytesWritten = value;
      else if (l['direction'] === 'read') bytesRead = value;
    } else if (m[1] === 'stratus_storage_pending_bytes') {
      pendingBytes = value;
    }
  }
  return { requests, failed, bytesWritten, bytesRead, pendingBytes };
}

export async function scrape(httpPort: number): Promise<ObjectStoreCounters> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parseMetrics(await r.text());
}

export function diff(before: ObjectStoreCounters, after: ObjectStoreCounters): ObjectStoreCounters {
  const requests = Object.fromEntries(OPERATIONS.map((op) => [op, after.requests[op] - before.requests[op]])) as Record<Operation, number>;
  return {
    requests,
    failed: after.failed - before.failed,
    bytesWritten: after.bytesWritten - before.bytesWritten,
    bytesRead: after.bytesRead - before.bytesRead,
    pendingBytes: after.pendingBytes,
  };
}

export function requestCostUsd(requests: Readonly<Record<Operation, number>>): { putClass: number; getClass: number; total: number } {
  const cost = (ops: readonly Operation[]): number => ops.reduce((sum, op) => sum + (requests[op] * PRICE_PER_1000[op]) / 1000, 0);
  const putClass = cost(['put', 'list', 'deleteMany', 'delete']);
  const getClass = cost(['get', 'head']);
  return { putClass, getClass, total: putClass + getClass };
}
