// PNG charts of a benchmark run, rendered offline: Vega-Lite specs compiled to Vega, drawn
// to SVG by Vega's headless renderer (no canvas), rasterised by resvg (@resvg/resvg-js,
// a prebuilt binary shipped inside its npm package).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { sortRows, WORKLOAD_ORDER } from './report.ts';
import type { Results } from './types.ts';

const FONT = 'DejaVu Sans';

// Without a canvas Vega estimates every character at 0.8 em, which leaves wide blank margins
// and cuts legend labels short. DejaVu Sans (what resvg draws with) advance widths, in
// 1/2048 em, make the layout fit what is drawn.
const ADVANCE: Record<string, number> = {
  ' ': 651, '.': 651, ',': 651, ':': 690, ';': 690, '(': 799, ')': 799, '[': 799, ']': 799, '-': 739, '_': 1024, '/': 690,
  '%': 1946, '$': 1303, "'": 563, '"': 821, '&': 1595, '+': 1716, '=': 1716, '^': 1716, '×': 1716, '÷': 1716, '→': 1716,
  '≥': 1716, '≤': 1716, '≈': 1716, '—': 2048, '–': 1024, '…': 2048, '~': 1716, '#': 1716, '*': 1024, '!': 821, '?': 1087,
  a: 1255, b: 1300, c: 1126, d: 1300, e: 1260, f: 721, g: 1300, h: 1298, i: 569, j: 569, k: 1186, l: 569, m: 1995,
  n: 1298, o: 1253, p: 1300, q: 1300, r: 842, s: 1067, t: 803, u: 1298, v: 1212, w: 1675, x: 1212, y: 1212, z: 1075,
  A: 1401, B: 1405, C: 1430, D: 1577, E: 1294, F: 1178, G: 1579, H: 1539, I: 604, J: 604, K: 1343, L: 1141, M: 1767,
  N: 1532, O: 1612, P: 1235, Q: 1612, R: 1423, S: 1300, T: 1251, U: 1499, V: 1401, W: 2025, X: 1403, Y: 1251, Z: 1403,
};

interface TextItem {
  readonly fontSize?: number;
  readonly fontWeight?: string | number;
}

function textWidth(item: TextItem, text: unknown): number {
  const s = text == null ? '' : String(text).trim();
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  let units = 0;
  for (const ch of s) units += ADVANCE[ch] ?? (ch >= '0' && ch <= '9' ? 1303 : 1300);
  return (units / 2048) * size * (bold ? 1.1 : 1);
}

(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width = textWidth;
const CONFIG = { font: FONT, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, subtitleFontSize: 11, anchor: 'start' as const } };

async function renderPng(spec: TopLevelSpec, file: string): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  const png = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: FONT } }).render().asPng();
  writeFileSync(file, png);
}

function systemScale(results: Results): { domain: string[]; range: string[] } {
  const palette: Record<string, string> = { kafka: '#4c78a8', stratus: '#f58518', 'stratus-relaxed': '#54a24b' };
  const domain = results.systems.filter((s) => s.status === 'ran').map((s) => s.id);
  return { domain, range: domain.map((d, i) => palette[d] ?? ['#e45756', '#72b7b2', '#b279a2'][i % 3]!) };
}

function throughputSpec(results: Results): TopLevelSpec {
  const systems = results.systems.map((s) => s.id);
  const rows = sortRows(results.rows, systems);
  const values = rows.map((r) => ({
    workload: r.workload,
    system: r.system,
    mbPerSec: r.status === 'ok' ? (r.mbPerSec ?? 0) : 0,
    label: r.status === 'ok' ? (r.mbPerSec ?? 0).toFixed(r.mbPerSec !== undefined && r.mbPerSec < 10 ? 1 : 0) : r.status === 'failed' ? 'failed' : 'skipped',
  }));
  const order = WORKLOAD_ORDER.filter((w) => values.some((v) => v.workload === w));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Throughput by workload (MB/s, higher is better) — ${results.date}${results.quick ? ' quick' : ''}`, subtitle: 'W2, W4, W5 run at fixed rates (W5: 20 MB/s target); W3 excludes the group join; a label instead of a bar = failed or skipped' },
    config: CONFIG,
    data: { values },
    width: { step: 70 },
    height: 320,
    encoding: {
      x: { field: 'workload', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'system', type: 'nominal', sort: systemScale(results).domain },
      color: { field: 'system', type: 'nominal', scale: systemScale(results), legend: { orient: 'top', title: null } },
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { y: { field: 'mbPerSec', type: 'quantitative', title: 'MB/s (2^20 B/s)' } } },
      { mark: { type: 'text', dy: -6, fontSize: 9 }, encoding: { y: { field: 'mbPerSec', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

function latencySpec(results: Results): TopLevelSpec | undefined {
  const systems = results.systems.map((s) => s.id);
  const pct = [
    ['p50', 'p50Ms'],
    ['p95', 'p95Ms'],
    ['p99', 'p99Ms'],
    ['p99.9', 'p999Ms'],
  ] as const;
  const values = sortRows(results.rows, systems)
    .filter((r) => r.status === 'ok' && r.latency?.p50Ms !== undefined)
    .flatMap((r) =>
      pct.map(([p, key]) => ({
        workload: `${r.workload}${r.workload === 'W4' ? ' (end-to-end)' : r.workload === 'W2' ? ' (fixed rate)' : ''}`,
        system: r.system,
        percentile: p,
        ms: r.latency?.[key] ?? 0,
      })),
    );
  if (values.length === 0) return undefined;
  const order = [...new Set(values.map((v) => v.workload))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Latency percentiles (ms, symlog scale, lower is better) — ${results.date}${results.quick ? ' quick' : ''}`, subtitle: 'W1/W5/W6: send→ack under load (throughput runs); W2: send→ack at 50% of Kafka W1; W4: producer→consumer at 1,000 msg/s' },
    config: CONFIG,
    data: { values },
    facet: { field: 'workload', type: 'nominal', sort: order, title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: { step: 22 },
      height: 180,
      encoding: {
        x: { field: 'percentile', type: 'nominal', sort: pct.map(([p]) => p), title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'system', type: 'nominal', sort: systemScale(results).domain },
        color: { field: 'system', type: 'nominal', scale: systemScale(results), legend: { orient: 'top', title: null } },
      },
      layer: [
        { mark: 'bar', encoding: { y: { field: 'ms', type: 'quantitative', scale: { type: 'symlog' }, title: 'ms' } } },
        { mark: { type: 'text', dy: -5, fontSize: 8 }, encoding: { y: { field: 'ms', type: 'quantitative' }, text: { field: 'ms', type: 'quantitative', format: '.3~r' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

function costSpec(results: Results): TopLevelSpec | undefined {
  const systems = results.systems.map((s) => s.id);
  const rows = sortRows(results.rows, systems).filter((r) => r.objectStore !== undefined && r.status === 'ok');
  if (rows.length === 0) return undefined;
  const cost = rows.flatMap((r) => [
    { workload: r.workload, system: r.system, class: 'PUT-class (PUT, LIST, POST)', usd: r.objectStore!.costPerGiBUsd.putClass * 1000 },
    { workload: r.workload, system: r.system, class: 'GET-class (GET, HEAD)', usd: r.objectStore!.costPerGiBUsd.getClass * 1000 },
  ]);
  const reqs = rows.flatMap((r) => {
    const q = r.objectStore!.requests;
    const per = (n: number): number => (r.objectStore!.clientGiB > 0 ? n / r.objectStore!.clientGiB : 0);
    return [
      { workload: r.workload, system: r.system, operation: 'PUT', perGiB: per(q.put) },
      { workload: r.workload, system: r.system, operation: 'GET', perGiB: per(q.get) },
      { workload: r.workload, system: r.system, operation: 'other', perGiB: per(q.head + q.list + q.delete + q.deleteMany) },
    ];
  });
  const order = WORKLOAD_ORDER.filter((w) => rows.some((r) => r.workload === w));
  const stratus = [...new Set(rows.map((r) => r.system))];
  const xEnc = { field: 'workload', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: -30 } };
  const offset = stratus.length > 1 ? { xOffset: { field: 'system', type: 'nominal' as const } } : {};
  /** One stacked bar per workload (and Stratus system), stacks coloured by `colorField`. */
  const stackedBars = (values: object[], title: string, y: { field: string; title: string }, colorField: string, colors: readonly (readonly [string, string])[]) => ({
    data: { values },
    title,
    width: { step: 40 },
    height: 260,
    mark: 'bar' as const,
    encoding: {
      x: xEnc,
      ...offset,
      y: { field: y.field, type: 'quantitative' as const, stack: 'zero' as const, title: y.title },
      color: {
        field: colorField,
        type: 'nominal' as const,
        legend: { orient: 'bottom' as const, title: null, columns: 1 },
        scale: { domain: colors.map(([d]) => d), range: colors.map(([, c]) => c) },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Stratus object-store request cost per GiB — ${results.date}${results.quick ? ' quick' : ''} (${stratus.join(', ')})`,
      subtitle: [
        'Per GiB of client payload produced (produce rows) or consumed (W3). S3 Standard us-east-1: PUT/LIST/POST $0.005 per 1k, GET/HEAD $0.0004 per 1k.',
        "Kafka is not shown: its cost is disks and replication traffic (e.g. EBS), which this benchmark does not model.",
      ],
    },
    config: CONFIG,
    hconcat: [
      stackedBars(cost, 'request cost, USD per 1,000 GiB', { field: 'usd', title: 'USD per 1,000 GiB' }, 'class', [
        ['PUT-class (PUT, LIST, POST)', '#e45756'],
        ['GET-class (GET, HEAD)', '#72b7b2'],
      ]),
      stackedBars(reqs, 'requests per GiB', { field: 'perGiB', title: 'object-store requests per GiB' }, 'operation', [
        ['PUT', '#e45756'],
        ['GET', '#72b7b2'],
        ['other', '#bab0ac'],
      ]),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** Renders the charts next to the results; returns the file names written (and the errors of any that failed). */
export async function renderCharts(results: Results, dir: string, stem: string): Promise<{ files: string[]; errors: string[] }> {
  const files: string[] = [];
  const errors: string[] = [];
  const charts: [string, TopLevelSpec | undefined][] = [
    ['throughput', throughputSpec(results)],
    ['latency', latencySpec(results)],
    ['cost', costSpec(results)],
  ];
  for (const [name, spec] of charts) {
    if (spec === undefined) continue;
    const file = `${stem}-${name}.png`;
    try {
      await renderPng(spec, join(dir, file));
      files.push(file);
    } catch (e) {
      errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { files, errors };
}
