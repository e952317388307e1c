// `stratus admin objects [--metrics URL[,URL]]`: what the cluster keeps in the object store.
// Per topic, from the controller's index (every partition's extents, over gRPC): the
// objects holding its data (a stream-set object written by an upload holds several
// topics' data and counts for each), the bytes of its extents, and the compaction backlog —
// its extents still in upload objects, which compaction merges into per-partition objects
// once they are small and older than compaction.minAge. With --metrics (each process's
// /metrics), the object-store requests by operation, PUTs and GETs being what a store bills.
//
// The index needs a cluster's controller; against `stratus dev` only --metrics works
// (http://127.0.0.1:9644/metrics), and the per-topic part says it needs a cluster.

import { parseObjectKey } from '@stratus/partition-index';
import type { ControllerConnection } from './connect.ts';
import { scrapeRequests, totalOf } from './metrics-scrape.ts';
import type { RequestCounts } from './metrics-scrape.ts';
import { ADMIN_EXIT, AdminExit, count, table } from './output.ts';
import type { Output } from './output.ts';

/** Extents asked of the controller per call. */
const EXTENT_PAGE = 1_000;

interface Usage {
  extents: number;
  /** Sum of the extents' lengths: the topic's data as stored. */
  bytes: number;
  backlog: { extents: number; bytes: number };
}

export interface TopicObjects extends Usage {
  readonly topic: string;
  readonly topicId: string;
  readonly partitions: number;
  /** Objects holding any of its data. */
  readonly objects: number;
}

const emptyUsage = (): Usage => ({ extents: 0, bytes: 0, backlog: { extents: 0, bytes: 0 } });

export async function objectsCommand(conn: ControllerConnection | undefined, out: Output, metrics: readonly string[]): Promise<number> {
  let topics: TopicObjects[] | null = null;
  let total: (Usage & { objects: number; objectBytes: number }) | null = null;
  if (conn !== undefined) {
    const objectSize = new Map<string, number>();
    topics = [];
    const all = emptyUsage();
    for (const t of conn.client.metadata().topics) {
      const usage = emptyUsage();
      const objects = new Set<string>();
      for (const p of t.partitions) {
        for (let offset = 0; ; ) {
          const page = await conn.client.extentsFrom({ topicId: t.topicId, partition: p.partition }, offset, EXTENT_PAGE);
          for (const e of page) {
            objects.add(e.objectKey);
            objectSize.set(e.objectKey, e.objectSize);
            usage.extents++;
            usage.bytes += e.length;
            if (parseObjectKey(e.objectKey)?.kind !== 'compacted') {
              usage.backlog.extents++;
              usage.backlog.bytes += e.length;
            }
          }
          if (page.length < EXTENT_PAGE) break;
          offset = page[page.length - 1]!.lastOffset + 1;
        }
      }
      topics.push({ topic: t.name, topicId: t.topicId, partitions: t.partitions.length, objects: objects.size, ...usage });
      all.extents += usage.extents;
      all.bytes += usage.bytes;
      all.backlog.extents += usage.backlog.extents;
      all.backlog.bytes += usage.backlog.bytes;
    }
    topics.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    total = { ...all, objects: objectSize.size, objectBytes: [...objectSize.values()].reduce((n, x) => n + x, 0) };
  }
  let requests: { sources: readonly string[]; byOperation: RequestCounts; put: number; get: number; errors: { url: string; message: string }[] } | null = null;
  if (metrics.length > 0) {
    const s = await scrapeRequests(metrics);
    requests = { sources: metrics, byOperation: s.counts, put: totalOf(s.counts, 'put'), get: totalOf(s.counts, 'get'), errors: s.errors };
  }
  out.document({ topics, total, requests });

  if (topics === null) out.text('objects per topic: needs a cluster\'s controller (--controller or STRATUS_CONTROLLER_ENDPOINTS); `stratus dev` serves no controller API');
  else if (topics.length === 0) out.text('no topics');
  else {
    for (const line of table(
      ['TOPIC', 'PARTITIONS', 'OBJECTS', 'EXTENTS', 'BYTES', 'BACKLOG EXTENTS', 'BACKLOG BYTES'],
      topics.map((t) => [t.topic, String(t.partitions), String(t.objects), String(t.extents), String(t.bytes), String(t.backlog.extents), String(t.backlog.bytes)]),
    ))
      out.text(line);
    out.text(`in all: ${count(total!.objects, 'object')} of ${total!.objectBytes} bytes; compaction backlog ${count(total!.backlog.extents, 'extent')} (${total!.backlog.bytes} bytes) in upload objects`);
  }
  if (requests !== null) {
    out.text('');
    out.text(`object-store requests since each process started (${metrics.length - requests.errors.length} of ${metrics.length} answered): ${requests.put} PUT, ${requests.get} GET`);
    const ops = Object.keys(requests.byOperation).sort();
    if (ops.length > 0) for (const line of table(['OPERATION', 'OUTCOMES'], ops.map((op) => [op, Object.entries(requests!.byOperation[op]!).map(([k, v]) => `${k}=${v}`).join(' ')]))) out.text(line);
  } else out.text('object-store requests: give --metrics with the processes\' /metrics addresses (HOST:PORT or URLs) to add PUT/GET totals');
  if (requests !== null && requests.errors.length > 0) {
    throw new AdminExit(ADMIN_EXIT.failed, `could not read ${requests.errors.map((e) => `${e.url} (${e.message})`).join(', ')}: the totals leave those processes out. Is that a process's HTTP port (http.port; 9644 for a broker and stratus dev, 9645 for a controller)?`);
  }
  return ADMIN_EXIT.ok;
}
