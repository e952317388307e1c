// A real Prometheus server (Debian's /usr/bin/prometheus, the package promtool comes in;
// test/peers/compose-tools.sh installs it) scraping given targets under the job names the
// dashboard and the alerts select by, and its HTTP query API.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/stratus-process.ts';

export interface ScrapeJob {
  readonly job: string;
  /** host:port of each /metrics. */
  readonly targets: readonly string[];
}

/** One series of a range query: its labels and [unix seconds, value] samples. */
export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

const READY_TIMEOUT_MS = 30_000;

export class PrometheusServer {
  private output = '';
  readonly url: string;
  private readonly child: ChildProcess;

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(dir: string, jobs: readonly ScrapeJob[], scrapeInterval: string): Promise<PrometheusServer> {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config = join(dir, 'prometheus.yml');
    const yaml = [
      'global:',
      `  scrape_interval: ${scrapeInterval}`,
      `  evaluation_interval: ${scrapeInterval}`,
      'scrape_configs:',
      ...jobs.flatMap((j) => [`  - job_name: ${j.job}`, '    static_configs:', `      - targets: [${j.targets.map((t) => JSON.stringify(t)).join(', ')}]`]),
      '',
    ].join('\n');
    writeFileSync(config, yaml);
    const port = await freePort();
    const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${server.output}`);
      try {
        if ((await fetch(`${server.url}/-/ready`)).status === 200) return server;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    throw new Error(`prometheus was not ready within ${READY_TIMEOUT_MS} ms:\n${server.output}`);
  }

  /** /api/v1/query_range; an error answer (a query Prometheus cannot parse) throws with its message. */
  async queryRange(query: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
    const params = new URLSearchParams({ query, start: String(start), end: String(end), step: String(stepSeconds) });
    const r = await fetch(`${this.url}/api/v1/query_range?${params}`);
    const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: RangeSeries[] } };
    if (body.status !== 'success') throw new Error(`${query}: ${body.error ?? r.status}`);
    return body.data!.result;
  }

  /** The health of every scrape target: job/instance → up or the last error. */
  async targets(): Promise<{ job: string; instance: string; health: string; lastError: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] } };
    return body.data.activeTargets.map((t) => ({ job: t.labels['job']!, instance: t.labels['instance']!, health: t.health, lastError: t.lastError }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
