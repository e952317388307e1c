// The Grafana dashboard's panels drawn from query results, without Grafana: each panel's
// PromQL answered by Prometheus's query_range, laid out on the dashboard's 24-column grid
// as Vega-Lite charts (a line per series, named by the target's legendFormat; a stat panel
// as its last value), compiled to Vega, drawn to SVG by Vega's headless renderer and
// rasterised by resvg — as test/bench/lib/charts.ts draws the benchmark charts.

import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { RangeSeries } from './prometheus.ts';

export interface Target {
  readonly expr: string;
  readonly legendFormat?: string;
}

export interface Panel {
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly fieldConfig?: { defaults?: { unit?: string } };
  readonly targets?: readonly Target[];
}

export interface Dashboard {
  readonly title: string;
  readonly panels: readonly Panel[];
}

/** A panel with the answers to its queries (one list of series per target). */
export interface PanelData {
  readonly panel: Panel;
  readonly series: readonly (readonly RangeSeries[])[];
}

const FONT = 'DejaVu Sans';
/** Pixels per grid column (24 to a row) and per grid row unit. */
const COLUMN_PX = 68;
const GRID_ROW_PX = 26;
const LEGEND_ENTRIES = 6;

/** How a Grafana unit is shown: values scaled into the unit named on the axis, and a d3 format. */
const UNITS: Record<string, { scale: number; format: string; title: string }> = {
  bytes: { scale: 1, format: '.3~s', title: 'bytes' },
  Bps: { scale: 1, format: '.3~s', title: 'bytes/s' },
  s: { scale: 1000, format: '.3~r', title: 'ms' },
  percentunit: { scale: 1, format: '.0%', title: '' },
  currencyUSD: { scale: 1, format: '.2~e', title: 'US$' },
  reqps: { scale: 1, format: '.3~s', title: 'req/s' },
  short: { scale: 1, format: '.3~s', title: '' },
};

/** A series' name as Grafana writes it from the legendFormat: {{label}} replaced by its value. */
function legend(format: string | undefined, metric: Record<string, string>): string {
  if (format === undefined || format === '') return Object.keys(metric).length === 0 ? 'value' : JSON.stringify(metric);
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => metric[name] ?? '').trim();
}

function unitOf(panel: Panel): { scale: number; format: string; title: string } {
  return UNITS[panel.fieldConfig?.defaults?.unit ?? 'short'] ?? UNITS['short']!;
}

function points(data: PanelData): { t: number; v: number; s: string }[] {
  const unit = unitOf(data.panel);
  return data.series.flatMap((list, i) =>
    list.flatMap((series) => {
      const name = legend(data.panel.targets?.[i]?.legendFormat, series.metric);
      return series.values.map(([t, v]) => ({ t: t * 1000, v: Number(v) * unit.scale, s: name })).filter((p) => Number.isFinite(p.v));
    }),
  );
}

function message(panel: Panel, text: string, width: number, height: number): object {
  return { title: panel.title, width, height, data: { values: [{ text }] }, mark: { type: 'text', fontSize: 13, color: '#888' }, encoding: { text: { field: 'text' } } };
}

function statSpec(data: PanelData, width: number, height: number): object {
  const unit = unitOf(data.panel);
  const last = points(data).sort((a, b) => a.t - b.t).at(-1);
  if (last === undefined) return message(data.panel, 'no data', width, height);
  return {
    title: data.panel.title,
    width,
    height,
    data: { values: [{ v: last.v }] },
    mark: { type: 'text', fontSize: 30, fontWeight: 'bold', color: '#2f7d32' },
    encoding: { text: { field: 'v', type: 'quantitative', format: unit.format === '.0%' ? '.0%' : '~s' } },
  };
}

function timeseriesSpec(data: PanelData, width: number, height: number): object {
  const unit = unitOf(data.panel);
  const values = points(data);
  if (values.length === 0) return message(data.panel, 'no data', width, height);
  const names = [...new Set(values.map((p) => p.s))];
  return {
    title: data.panel.title,
    width,
    height,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear' },
    encoding: {
      x: { field: 't', type: 'temporal', title: null, axis: { format: '%H:%M', labelFontSize: 9, tickCount: 4, grid: false } },
      y: { field: 'v', type: 'quantitative', title: unit.title === '' ? null : unit.title, axis: { format: unit.format, labelFontSize: 9, titleFontSize: 10, tickCount: 4 } },
      color: {
        field: 's',
        type: 'nominal',
        title: null,
        scale: { scheme: 'tableau10' },
        legend: { orient: 'bottom', direction: 'vertical', columns: 2, labelFontSize: 9, labelLimit: Math.floor(width / 2) - 20, symbolLimit: LEGEND_ENTRIES, values: names.slice(0, LEGEND_ENTRIES) },
      },
    },
  };
}

/** The whole dashboard as one Vega-Lite spec: a row of charts per line of the grid, under each Grafana row's title. */
export function dashboardSpec(dashboard: Dashboard, panels: readonly PanelData[], subtitle: string): TopLevelSpec {
  const sections: { title: string; lines: Map<number, PanelData[]> }[] = [];
  for (const p of [...dashboard.panels].sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x)) {
    if (p.type === 'row') {
      sections.push({ title: p.title, lines: new Map() });
      continue;
    }
    const data = panels.find((d) => d.panel === p);
    if (data === undefined) continue;
    if (sections.length === 0) sections.push({ title: '', lines: new Map() });
    const lines = sections.at(-1)!.lines;
    lines.set(p.gridPos.y, [...(lines.get(p.gridPos.y) ?? []), data]);
  }
  const vconcat = sections.map((section) => ({
    title: { text: section.title, fontSize: 16, anchor: 'start', color: '#333', offset: 6 },
    vconcat: [...section.lines.values()].map((line) => ({
      hconcat: line.map((d) => {
        const width = d.panel.gridPos.w * COLUMN_PX - 40;
        const height = d.panel.type === 'stat' ? d.panel.gridPos.h * GRID_ROW_PX - 40 : d.panel.gridPos.h * GRID_ROW_PX - 110;
        return d.panel.type === 'stat' ? statSpec(d, width, height) : timeseriesSpec(d, width, height);
      }),
      resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    })),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: dashboard.title, subtitle, fontSize: 20, subtitleFontSize: 12, anchor: 'start' },
    config: { font: FONT, view: { stroke: '#ddd' }, title: { fontSize: 12, anchor: 'start', fontWeight: 'bold' }, concat: { spacing: 18 } },
    padding: 16,
    vconcat,
  } as TopLevelSpec;
}

export async function renderPng(spec: TopLevelSpec): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG(1);
  view.finalize();
  return new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: FONT } }).render().asPng();
}
