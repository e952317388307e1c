// node test/soak/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top N]
//
// What grew between two V8 heap snapshots of one process (npm run soak -- --heap-snapshots
// writes one at the end of the warm-up and one at the end): objects counted and their
// self sizes summed by type and constructor name, then the groups whose bytes grew most,
// and the totals. A snapshot is taken after a full GC, so both hold only live objects.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface Group {
  readonly key: string;
  count: number;
  bytes: number;
}

/** Objects by "type name" (constructor for objects, the text's kind for strings), with count and self bytes. */
export function groupSnapshot(s: Snapshot): Map<string, Group> {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const groups = new Map<string, Group>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!] ?? '?';
    // Strings and numbers are named by their value: group them by type alone.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? '' : (s.strings[s.nodes[i + nameAt]!] ?? '?');
    const key = `${type} ${name.slice(0, 80)}`;
    const g = groups.get(key) ?? { key, count: 0, bytes: 0 };
    g.count++;
    g.bytes += s.nodes[i + sizeAt]!;
    groups.set(key, g);
  }
  return groups;
}

export function diff(a: Map<string, Group>, b: Map<string, Group>): { key: string; count: number; bytes: number; countB: number; bytesB: number }[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .map((key) => {
      const x = a.get(key);
      const y = b.get(key);
      return { key, count: (y?.count ?? 0) - (x?.count ?? 0), bytes: (y?.bytes ?? 0) - (x?.bytes ?? 0), countB: y?.count ?? 0, bytesB: y?.bytes ?? 0 };
    })
    .sort((p, q) => q.bytes - p.bytes);
}

function total(g: Map<string, Group>): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const x of g.values()) {
    count += x.count;
    bytes += x.bytes;
  }
  return { count, bytes };
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (positionals.length !== 2) {
    console.error('usage: node test/soak/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top N]');
    process.exit(2);
  }
  const [a, b] = positionals.map((f) => groupSnapshot(JSON.parse(readFileSync(f, 'utf8')) as Snapshot));
  const ta = total(a!);
  const tb = total(b!);
  const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`live objects: ${ta.count.toLocaleString('en-US')} → ${tb.count.toLocaleString('en-US')}; self bytes ${kib(ta.bytes)} → ${kib(tb.bytes)} (${kib(tb.bytes - ta.bytes)})`);
  console.log(`\n${'bytes Δ'.padStart(12)} ${'count Δ'.padStart(10)} ${'bytes now'.padStart(12)} ${'count now'.padStart(10)}  type constructor`);
  const rows = diff(a!, b!);
  const top = Number(values.top);
  for (const r of [...rows.slice(0, top), ...rows.slice(-5).reverse()]) {
    console.log(`${kib(r.bytes).padStart(12)} ${String(r.count).padStart(10)} ${kib(r.bytesB).padStart(12)} ${String(r.countB).padStart(10)}  ${r.key}`);
  }
}
