// node libs/storage/bench/cache.bench.ts — cold sequential reads of one large object from
// MinIO, three ways: through the BlockCache with read-ahead, as plain ranged GETs of the
// same fetch-sized chunks (one outstanding, as a naive fetch loop does), and as one GET
// of the whole object (the ceiling). Prints MB/s and GET counts with ratios; asserts
// nothing (speed is judged by reading figures, not by a test).
//
// Goal (the cache issue): through the cache, >= 0.8x the plain GET rate and >= 10x fewer
// GETs than one per fetch. MinIO runs on this machine, so a GET costs a local round trip
// rather than an S3 one: the GET-count ratio carries over to S3, the throughput ratio is
// the pessimistic case for the cache (its win grows with per-request latency).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ByteRange, ObjectStore, ReadOptions } from '@stratus/objectstore';
import { openObjectStore } from '@stratus/objectstore';
import { BlockCache } from '@stratus/storage';

const KiB = 1024;
const MiB = 1024 * KiB;
const OBJECT_BYTES = 256 * MiB;
const FETCH_SIZES = [64 * KiB, 256 * KiB, 1024 * KiB];
const REPEATS = 5;
/** The defaults (BLOCK_CACHE_DEFAULTS) with a 64 MiB memory tier. */
const CACHE = { blockBytes: MiB, memoryBytes: 64 * MiB, readAheadBlocks: 16, maxConcurrentFetches: 8, maxBlocksPerGet: 16 };
/** The earlier, narrower window, for comparison: one GET per 4 MiB is only 4x fewer than 1 MiB fetches. */
const NARROW = { ...CACHE, readAheadBlocks: 4, maxBlocksPerGet: 8 };
const NARROW_FROM_FETCH_BYTES = MiB;
const MINIO_USER = 'stratus-bench';
const MINIO_PASSWORD = 'stratus-bench-secret';
const STARTUP_TIMEOUT_MS = 30_000;

export interface CacheBenchRow {
  readonly method: string;
  readonly fetchBytes: number;
  readonly mbPerSec: number;
  readonly gets: number;
  readonly fetches: number;
}

interface Minio {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Counts GETs: the figure the cache exists to shrink. */
function countingGets(inner: ObjectStore): { store: ObjectStore; gets: () => number } {
  let gets = 0;
  const store: ObjectStore = {
    url: inner.url,
    put: (key, body, options) => inner.put(key, body, options),
    get: (key: string, range?: ByteRange, options?: ReadOptions) => {
      gets++;
      return inner.get(key, range, options);
    },
    head: (key, options) => inner.head(key, options),
    delete: (key, options) => inner.delete(key, options),
    deleteMany: (keys, options) => inner.deleteMany(keys, options),
    list: (prefix, options) => inner.list(prefix, options),
    close: () => inner.close(),
  };
  return { store, gets: () => gets };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function minioBinary(): string {
  const fromEnv = process.env['MINIO_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
  return join(gopath, 'bin', 'minio');
}

/**
 * Starts a throwaway MinIO on free ports with its data in a temp directory. (The object
 * store's test support has a starter, but it is not exported by @stratus/objectstore and
 * importing another package's files is forbidden; switch to it once it is exported.)
 */
async function startMinio(): Promise<Minio> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-bench-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(minioBinary(), ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: MINIO_USER, MINIO_ROOT_PASSWORD: MINIO_PASSWORD, MINIO_BROWSER: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + STARTUP_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${endpoint}/minio/health/live`)).ok && (await fetch(`${endpoint}/minio/health/ready`)).ok) return { endpoint, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`MinIO did not start: ${stderr}`);
}

async function timed(fn: () => Promise<number>): Promise<{ seconds: number; bytes: number }> {
  const start = performance.now();
  const bytes = await fn();
  return { seconds: (performance.now() - start) / 1000, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the benchmark against a fresh MinIO and returns its rows (also printed). */
export async function runCacheBench(): Promise<CacheBenchRow[]> {
  const minio = await startMinio();
  let store: ObjectStore | undefined;
  try {
    const url = `s3://cache-bench/data?endpoint=${encodeURIComponent(minio.endpoint)}&region=us-east-1&forcePathStyle=true`;
    store = await openObjectStore(url, { createBucket: true, s3: { credentials: { accessKeyId: MINIO_USER, secretAccessKey: MINIO_PASSWORD } } });
    const source = Buffer.allocUnsafe(OBJECT_BYTES);
    for (let i = 0; i < OBJECT_BYTES; i += 4) source.writeUInt32LE((i * 2654435761) >>> 0, i);
    const key = 'segment-256mib';
    await store.put(key, source);

    const rows: CacheBenchRow[] = [];
    const counted = countingGets(store);
    // Methods of one fetch size take turns within each repeat, so a busy neighbour on a
    // shared machine slows them alike instead of skewing one method's runs.
    const measure = async (fetchBytes: number, methods: readonly { name: string; run: () => Promise<number> }[]): Promise<void> => {
      const rates = methods.map((): number[] => []);
      const gets = methods.map(() => 0);
      for (let i = 0; i < REPEATS; i++) {
        for (const [m, method] of methods.entries()) {
          const before = counted.gets();
          const { seconds, bytes } = await timed(method.run);
          if (bytes !== OBJECT_BYTES) throw new Error(`${method.name} read ${bytes} bytes`);
          rates[m]!.push(bytes / MiB / seconds);
          gets[m] = counted.gets() - before;
        }
      }
      for (const [m, method] of methods.entries()) {
        rows.push({ method: method.name, fetchBytes, mbPerSec: median(rates[m]!), gets: gets[m]!, fetches: Math.ceil(OBJECT_BYTES / fetchBytes) });
      }
    };

    await measure(OBJECT_BYTES, [{ name: 'one GET of the object', run: async () => (await counted.store.get(key)).byteLength }]);
    for (const fetchBytes of FETCH_SIZES) {
      const plain = async (): Promise<number> => {
        let total = 0;
        for (let position = 0; position < OBJECT_BYTES; position += fetchBytes) {
          total += (await counted.store.get(key, { start: position, end: Math.min(position + fetchBytes, OBJECT_BYTES) })).byteLength;
        }
        return total;
      };
      const throughCache = (config: typeof CACHE) => async (): Promise<number> => {
        const cache = new BlockCache({ store: counted.store, ...config }); // cold every run
        let total = 0;
        for (let position = 0; position < OBJECT_BYTES; position += fetchBytes) {
          const length = Math.min(fetchBytes, OBJECT_BYTES - position);
          const bytes = await cache.read(key, position, length, OBJECT_BYTES, 'bench-stream');
          if (position % (16 * MiB) === 0 && !bytes.equals(source.subarray(position, position + length))) throw new Error(`wrong bytes at ${position}`);
          total += bytes.byteLength;
        }
        await cache.close();
        return total;
      };
      await measure(fetchBytes, [
        { name: 'plain ranged GETs', run: plain },
        { name: `BlockCache, read-ahead ${CACHE.readAheadBlocks}`, run: throughCache(CACHE) },
        ...(fetchBytes >= NARROW_FROM_FETCH_BYTES ? [{ name: `BlockCache, read-ahead ${NARROW.readAheadBlocks}`, run: throughCache(NARROW) }] : []),
      ]);
    }
    await counted.store.delete(key);
    printTable(rows, minio);
    return rows;
  } finally {
    await store?.close();
    await minio.stop();
  }
}

function printTable(rows: readonly CacheBenchRow[], minio: Minio): void {
  const cpu = cpus();
  console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`store:   MinIO on ${minio.endpoint} (single drive, temp dir), object ${OBJECT_BYTES / MiB} MiB, median of ${REPEATS} cold runs`);
  console.log(
    `cache:   blockBytes ${CACHE.blockBytes / KiB} KiB, memoryBytes ${CACHE.memoryBytes / MiB} MiB, maxConcurrentFetches ${CACHE.maxConcurrentFetches}, ` +
      `maxBlocksPerGet ${CACHE.maxBlocksPerGet} (${NARROW.maxBlocksPerGet} with read-ahead ${NARROW.readAheadBlocks}), no disk tier`,
  );
  console.log('');
  const header = ['method', 'fetch', 'MB/s', 'GETs', 'fetches', 'fetches/GET', 'rate vs plain'];
  const lines: string[][] = [];
  for (const row of rows) {
    const plain = rows.find((r) => r.method === 'plain ranged GETs' && r.fetchBytes === row.fetchBytes);
    lines.push([
      row.method,
      row.fetchBytes >= MiB ? `${row.fetchBytes / MiB} MiB` : `${row.fetchBytes / KiB} KiB`,
      row.mbPerSec.toFixed(0),
      String(row.gets),
      String(row.fetches),
      (row.fetches / row.gets).toFixed(1),
      plain !== undefined ? `${(row.mbPerSec / plain.mbPerSec).toFixed(2)}x` : '',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

if (import.meta.main) {
  runCacheBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
