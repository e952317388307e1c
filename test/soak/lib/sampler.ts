// One sample of a running `stratus dev`: its /metrics (process, broker, WAL, controller)
// and what its data directory holds on disk (objects of the file:// store, the metadata
// journal and snapshot, the WAL), flattened to the keys series.ts judges. Rates (records
// produced and consumed, PUTs) are differences of counters between two samples.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The process's /metrics as `name{labels}` → value (labels as the exposition writes them). */
export async function scrape(httpPort: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

export function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

export interface DirUsage {
  readonly files: number;
  readonly bytes: number;
  readonly dirs: number;
}

/** Files (and their bytes) and directories under `dir`, recursively; the object store's temp files are not objects. */
export async function dirUsage(dir: string, isObject: (name: string) => boolean = () => true): Promise<DirUsage> {
  let files = 0;
  let bytes = 0;
  let dirs = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return; // removed while we looked (an emptied directory of the store)
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        dirs++;
        await walk(p);
      } else if (e.isFile() && isObject(e.name)) {
        try {
          bytes += (await stat(p)).size;
          files++;
        } catch {
          // deleted meanwhile
        }
      }
    }
  };
  await walk(dir);
  return { files, bytes, dirs };
}

/** Counters the workload keeps (workload.ts), for the rates. */
export interface WorkCounters {
  readonly produced: number;
  readonly consumed: number;
}

/** Reads one sample: metrics, disk, and rates since `previous` (same keys as series.ts). */
export class Sampler {
  private readonly httpPort: number;
  private readonly dataDir: string;
  private previous: { atMs: number; produced: number; consumed: number; puts: number; cpuSeconds: number } | undefined;

  constructor(httpPort: number, dataDir: string) {
    this.httpPort = httpPort;
    this.dataDir = dataDir;
  }

  async sample(work: WorkCounters): Promise<Record<string, number>> {
    const m = await scrape(this.httpPort);
    const atMs = Date.now();
    const get = (name: string): number => m.get(name) ?? Number.NaN;
    const sum = (prefix: string): number => {
      let n = 0;
      for (const [k, v] of m) if (k.startsWith(prefix)) n += v;
      return n;
    };
    const objects = await dirUsage(join(this.dataDir, 'objects'), (name) => !name.startsWith('.stratus-tmp-'));
    const metadata = await dirUsage(join(this.dataDir, 'metadata'));
    const wal = await dirUsage(join(this.dataDir, 'wal'));
    // Acknowledged batches whose commit was rejected (data/rejected/: a .batch file each, and a .why note).
    const rejected = await dirUsage(join(this.dataDir, 'rejected'), (name) => name.endsWith('.batch'));
    const puts = sum('stratus_object_store_requests{operation="put"');
    const cpuSeconds = get('process_cpu_seconds_total');
    const machine = await machineState();
    const rate = (now: number, before: number | undefined): number => {
      if (this.previous === undefined || before === undefined) return Number.NaN;
      const seconds = (atMs - this.previous.atMs) / 1000;
      return seconds > 0 ? (now - before) / seconds : Number.NaN;
    };
    const values: Record<string, number> = {
      rss: get('process_resident_memory_bytes'),
      heapUsed: get('nodejs_heap_size_used_bytes'),
      heapAfterGc: get('stratus_major_gcs') > 0 ? get('stratus_heap_after_major_gc_bytes') : Number.NaN,
      majorGcs: get('stratus_major_gcs'),
      heapTotal: get('nodejs_heap_size_total_bytes'),
      external: get('nodejs_external_memory_bytes'),
      openFds: get('process_open_fds'),
      activeHandles: get('nodejs_active_handles_total'),
      eventLoopLagP99: get('nodejs_eventloop_lag_p99_seconds'),
      connections: get('stratus_kafka_connections'),
      coordinatorGroups: get('stratus_broker_state{what="groups"}'),
      openPartitions: get('stratus_broker_state{what="open_partitions"}'),
      storageLogs: get('stratus_broker_state{what="storage_logs"}'),
      pendingBytes: get('stratus_storage_pending_bytes'),
      walBytes: get('stratus_wal_untrimmed_bytes'),
      walSegments: get('stratus_wal_segments'),
      topics: get('stratus_controller_state{what="topics"}'),
      partitions: get('stratus_controller_state{what="partitions"}'),
      extents: get('stratus_index_extents{what="total"}'),
      extentsMaxPerPartition: get('stratus_index_extents{what="max_per_partition"}'),
      objectsLive: get('stratus_controller_state{what="objects_live"}'),
      objectsUnreferenced: get('stratus_controller_state{what="objects_unreferenced"}'),
      committedOffsets: get('stratus_controller_state{what="committed_offsets"}'),
      controllerGroups: get('stratus_controller_state{what="groups"}'),
      journalBytes: get('stratus_controller_journal_bytes'),
      snapshots: get('stratus_controller_snapshots{outcome="written"}'),
      snapshotFailures: get('stratus_controller_snapshots{outcome="failed"}'),
      storeObjects: objects.files,
      storeBytes: objects.bytes,
      storeDirs: objects.dirs,
      metadataDirBytes: metadata.bytes,
      walDirBytes: wal.bytes,
      rejectedBatches: rejected.files,
      rejectedBytes: rejected.bytes,
      producedPerSec: rate(work.produced, this.previous?.produced),
      consumedPerSec: rate(work.consumed, this.previous?.consumed),
      putsPerSec: rate(puts, this.previous?.puts),
      cpuCores: rate(cpuSeconds, this.previous?.cpuSeconds),
      loadAverage1m: machine.loadAverage1m,
      memAvailable: machine.memAvailableBytes,
      wallClockMs: atMs,
      puts,
      compactionMerges: get('stratus_compaction{what="merges"}'),
      compactionFailures: get('stratus_compaction{what="failures"}'),
      orphansDeleted: get('stratus_orphan_sweep{what="deleted"}'),
      objectStoreFailures: sumFailures(m),
    };
    this.previous = { atMs, produced: work.produced, consumed: work.consumed, puts, cpuSeconds };
    return values;
  }
}

/** Object-store requests that did not end "ok", all operations. */
function sumFailures(m: Map<string, number>): number {
  let n = 0;
  for (const [k, v] of m) if (k.startsWith('stratus_object_store_requests{') && !k.includes('outcome="ok"')) n += v;
  return n;
}

/** The machine around the process (other work on it disturbs a run): 1-minute load average and available memory (Linux /proc). */
async function machineState(): Promise<{ loadAverage1m: number; memAvailableBytes: number }> {
  try {
    const load = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
    const kb = /MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'));
    return { loadAverage1m: load, memAvailableBytes: kb ? Number(kb[1]) * 1024 : Number.NaN };
  } catch {
    return { loadAverage1m: Number.NaN, memAvailableBytes: Number.NaN };
  }
}
