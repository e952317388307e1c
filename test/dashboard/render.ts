// Renders deploy/grafana/stratus.json with data, without Grafana or Docker: starts real
// Stratus processes (`stratus dev`, or with --cluster the processes of `npm run cluster` on
// free ports: Redis, MinIO, 2 controllers, 3 brokers), a real Prometheus scraping them
// under the job names the dashboard selects (stratus-broker, stratus-controller), puts
// load on them with kafkajs, then answers every panel's PromQL through Prometheus's
// query_range API and draws the panels into one PNG (lib/draw.ts). What it shows is that
// the dashboard's queries return data against real processes; it is not Grafana's
// rendering. Panels that got no data are listed (Prometheus refusing a query fails the run).
//
//   node test/dashboard/render.ts [--cluster] [--seconds N] [--out docs/images/dashboard.png]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../cluster/lib/cluster.ts';
import { StratusProcess } from '../support/stratus-process.ts';
import { dashboardSpec, renderPng } from './lib/draw.ts';
import type { Dashboard, Panel, PanelData } from './lib/draw.ts';
import { runLoad } from './lib/load.ts';
import { PrometheusServer } from './lib/prometheus.ts';
import type { ScrapeJob } from './lib/prometheus.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'stratus.json');
const SCRAPE_INTERVAL = '2s';
const STEP_SECONDS = 5;
/** Settings for the run: a 1 MiB tail, so that a reader from the beginning misses it and reads objects through the block cache. */
const BROKER_ENV = { STRATUS_STORAGE_TAIL_BYTES: String(1024 * 1024) };

const { values: args } = parseArgs({
  options: {
    cluster: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '120' },
    out: { type: 'string', default: join(ROOT, 'docs', 'images', 'dashboard.png') },
  },
});
const seconds = Number(args.seconds);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Processes {
  readonly bootstrap: string[];
  readonly jobs: ScrapeJob[];
  stop(): Promise<void>;
}

async function startProcesses(): Promise<Processes> {
  if (args.cluster) {
    const cluster = await startCluster({ brokerEnv: BROKER_ENV, logLevel: 'warn' });
    return {
      bootstrap: cluster.bootstrapList,
      jobs: [
        { job: 'stratus-controller', targets: cluster.controllers.map((c) => `127.0.0.1:${c.spec.httpPort}`) },
        { job: 'stratus-broker', targets: cluster.brokers.map((b) => `127.0.0.1:${b.spec.httpPort}`) },
      ],
      stop: () => cluster.stop(),
    };
  }
  // stratus dev is controller and broker in one process: one job scrapes it. The
  // controller-only panels that need a separate controller process (role, lease epoch,
  // RPCs, up{job="stratus-controller"}) stay empty; --cluster fills them.
  const dev = await StratusProcess.start({ env: BROKER_ENV });
  return { bootstrap: [dev.bootstrap], jobs: [{ job: 'stratus-broker', targets: [`127.0.0.1:${dev.httpPort}`] }], stop: async () => void (await dev.stop()) };
}

async function main(): Promise<void> {
  const tools = spawnSync('bash', [join(ROOT, 'test/peers/compose-tools.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (tools.status !== 0) throw new Error('test/peers/compose-tools.sh failed (it installs Prometheus)');
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const work = mkdtempSync(join(tmpdir(), 'dashboard-render-'));
  log(`render: starting ${args.cluster ? 'a cluster (Redis, MinIO, 2 controllers, 3 brokers)' : 'stratus dev'} and Prometheus in ${work}`);
  const processes = await startProcesses();
  let prometheus: PrometheusServer | undefined;
  try {
    prometheus = await PrometheusServer.start(work, processes.jobs, SCRAPE_INTERVAL);
    const start = Math.floor(Date.now() / 1000);
    log(`render: ${seconds} s of load`);
    const summary = await runLoad(processes.bootstrap, seconds, log);
    log(`render: produced ${JSON.stringify(summary.produced)}, consumed ${JSON.stringify(summary.consumed)}`);
    // A last minute without clients: the stopped group's lag stays, rates fall, uploads finish.
    await new Promise((r) => setTimeout(r, 20_000));
    const end = Math.floor(Date.now() / 1000);
    const down = (await prometheus.targets()).filter((t) => t.health !== 'up');
    if (down.length > 0) throw new Error(`scrape targets not up: ${JSON.stringify(down)}`);

    const panels: PanelData[] = [];
    const empty: string[] = [];
    for (const panel of dashboard.panels.filter((p: Panel) => p.type !== 'row')) {
      const series = [];
      for (const target of panel.targets ?? []) series.push(await prometheus.queryRange(target.expr, start, end, STEP_SECONDS));
      if (series.every((s) => s.length === 0)) empty.push(panel.title);
      panels.push({ panel, series });
    }
    const subtitle = `The dashboard's PromQL answered by a real Prometheus scraping ${args.cluster ? 'a cluster of 2 controllers and 3 brokers' : 'stratus dev'} under ${seconds} s of kafkajs load, drawn with Vega-Lite (not Grafana) by test/dashboard/render.ts`;
    const png = await renderPng(dashboardSpec(dashboard, panels, subtitle));
    const out = resolve(args.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, png);
    log(`render: ${panels.length} panels, ${panels.length - empty.length} with data, written to ${out}`);
    if (empty.length > 0) log(`render: no data in: ${empty.join('; ')}`);
  } finally {
    await prometheus?.stop();
    await processes.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
