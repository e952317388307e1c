// The chaos campaign on a cluster (issue 10 §5): `npm run chaos -- --cluster`. A local
// cluster of real processes (test/cluster/lib: Redis with AOF, MinIO behind a fault-injecting
// TCP proxy, 2 controllers, 3 brokers), the single-node campaign's clients bootstrapped to
// every broker (clients.ts: idempotent acks=all Java and kafkajs producers, a consumer group,
// an offset observer), and a seeded schedule (cluster-schedule.ts) of SIGKILLs and SIGTERMs
// of brokers and controllers, Redis killed and restarted on its AOF, and object-store
// outages. When the time is up the faults stop, the clients finish, every broker is
// stopped cleanly one at a time (each drains to the others; the last uploads what it
// holds), every WAL is moved aside, the brokers start again, and the log must be served
// from the object store alone: the same checks as the single node (checks.ts).

import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionedPeers } from '../compat/support/peers.ts';
import { startCluster } from '../cluster/lib/cluster.ts';
import type { Cluster } from '../cluster/lib/cluster.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { FAULT_SETTINGS } from './campaign.ts';
import type { CheckResult } from './checks.ts';
import { CampaignClients, TOPICS, clientSummaryLines, eventually, groupSummaryLine } from './clients.ts';
import type { ClientCounts } from './clients.ts';
import { ChaosCluster } from './cluster-nodes.ts';
import type { NodeStop } from './cluster-nodes.ts';
import { CLUSTER_EPISODE_KINDS, describeClusterEpisode, planClusterEpisodes } from './cluster-schedule.ts';
import type { ClusterEpisode, ClusterEpisodeKind } from './cluster-schedule.ts';
import type { TopicSpec } from './workload.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClusterCampaignOptions {
  readonly seed: number;
  readonly minutes: number;
  readonly log?: (line: string) => void;
  /** The Java producers' delivery.timeout.ms (default 120 s); see campaign.ts. */
  readonly javaDeliveryTimeoutMs?: number;
}

export interface ClusterEpisodeRun {
  readonly episode: ClusterEpisode;
  readonly description: string;
  readonly startedAtS: number;
  readonly tookS: number;
}

export interface ClusterCampaignReport {
  readonly mode: 'cluster';
  readonly seed: number;
  readonly minutes: number;
  readonly replay: string;
  readonly startedAt: string;
  readonly machine: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly topics: readonly TopicSpec[];
  readonly episodes: readonly ClusterEpisodeRun[];
  readonly counts: ClientCounts & {
    readonly episodesByKind: Readonly<Record<ClusterEpisodeKind, number>>;
    readonly starts: Readonly<Record<string, number>>;
    readonly gracefulStops: readonly NodeStop[];
    readonly outageSeconds: number;
    /** Seconds of the fault window: all 3 brokers ready, and a controller active (sampled each second). */
    readonly availabilitySeconds: Readonly<Record<string, number>>;
  };
  readonly checks: readonly CheckResult[];
  readonly problems: readonly string[];
  readonly ok: boolean;
  readonly durationS: number;
  readonly workDir: string | undefined;
}

export function replayClusterCommand(seed: number, minutes: number): string {
  return `npm run chaos -- --cluster --seed ${seed} --minutes ${minutes}`;
}

/** Every second: how many brokers answer /readyz and whether a controller is active. */
class Availability {
  readonly seconds: Record<string, number> = {};
  private running = true;

  constructor(cluster: Cluster) {
    void (async () => {
      while (this.running) {
        const ready = (await Promise.all(cluster.brokers.map((b) => (b.alive ? b.ready() : Promise.resolve(false))))).filter(Boolean).length;
        const active = (await cluster.activeController()) !== undefined;
        const state = `${ready}/${cluster.brokers.length} brokers ready, ${active ? 'a controller active' : 'no active controller'}`;
        this.seconds[state] = (this.seconds[state] ?? 0) + 1;
        await sleep(1000);
      }
    })();
  }

  stop(): void {
    this.running = false;
  }
}

export async function runClusterCampaign(options: ClusterCampaignOptions): Promise<ClusterCampaignReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { seed, minutes } = options;
  const t0 = Date.now();
  const say = (line: string): void => log(`[chaos-cluster ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const windowMs = Math.round(minutes * 60_000);
  const deliveryTimeoutMs = options.javaDeliveryTimeoutMs ?? 120_000;
  const plan = planClusterEpisodes(seed, minutes);
  const workDir = mkdtempSync(join(tmpdir(), 'stratus-chaos-cluster-'));
  const problems: string[] = [];
  const checks: CheckResult[] = [];
  const episodes: ClusterEpisodeRun[] = [];
  const byKind = Object.fromEntries(CLUSTER_EPISODE_KINDS.map((k) => [k, 0])) as Record<ClusterEpisodeKind, number>;
  let outageMs = 0;
  let proxy: TcpProxy | undefined;
  let cluster: Cluster | undefined;
  let nodes: ChaosCluster | undefined;
  let clients: CampaignClients | undefined;
  let availability: Availability | undefined;

  try {
    const peers = await provisionedPeers();
    cluster = await startCluster({
      dataDir: join(workDir, 'cluster'),
      keep: true,
      logLevel: 'info',
      brokerEnv: FAULT_SETTINGS,
      controllerEnv: FAULT_SETTINGS,
      objectStoreFront: async (port) => (proxy = await TcpProxy.start('127.0.0.1', port)),
    });
    const c = cluster;
    const n = new ChaosCluster(c, t0);
    nodes = n;
    const px = proxy!;
    say(`cluster up: brokers ${c.bootstrap}, MinIO behind proxy :${px.port}, logs ${c.logDir}`);
    await CampaignClients.createTopics(c.bootstrap);
    clients = await CampaignClients.start({ bootstrap: c.bootstrap, seed, windowMs, workDir, javaClasses: peers.javaClasses, deliveryTimeoutMs, t0 });
    say(`workload: ${CampaignClients.describe()}; bootstrapped to every broker`);
    const windowStart = Date.now();
    availability = new Availability(c);

    // ---- the faults ---------------------------------------------------------------------
    for (const e of plan) {
      if (Date.now() - windowStart + e.pauseMs >= windowMs) break;
      await sleep(e.pauseMs);
      await n.ensureRunning();
      const started = Date.now();
      say(`episode ${e.index}: ${describeClusterEpisode(e)}`);
      byKind[e.kind]++;
      switch (e.kind) {
        case 'broker-kill':
        case 'broker-term': {
          const b = n.broker(e.broker);
          if (e.kind === 'broker-kill') await n.kill(b);
          else await n.term(b);
          await sleep(e.downMs);
          n.start(b);
          break;
        }
        case 'controller-kill':
        case 'controller-term': {
          const ctl = await n.controller(e.controller);
          if (ctl === undefined) break;
          if (e.kind === 'controller-kill') await n.kill(ctl);
          else await n.term(ctl);
          await sleep(e.downMs);
          n.start(ctl);
          break;
        }
        case 'redis-restart':
          await n.killRedis();
          await sleep(e.downMs);
          await n.startRedis();
          break;
        case 'store-outage':
          px.takeDown();
          await sleep(e.durationMs);
          px.bringUp();
          outageMs += e.durationMs;
          break;
        case 'broker-kill-in-outage': {
          const b = n.broker(e.broker);
          px.takeDown();
          await sleep(e.faultAfterMs);
          await n.kill(b);
          await sleep(e.downMs);
          n.start(b);
          const left = started + e.durationMs - Date.now();
          if (left > 0) await sleep(left);
          px.bringUp();
          outageMs += Date.now() - started;
          break;
        }
      }
      episodes.push({ episode: e, description: describeClusterEpisode(e), startedAtS: Math.round((started - t0) / 100) / 10, tookS: Math.round((Date.now() - started) / 100) / 10 });
    }
    const rest = windowMs - (Date.now() - windowStart);
    if (rest > 0) await sleep(rest);
    px.bringUp();
    await n.ensureRunning();
    availability.stop();
    say(`faults over: ${episodes.length} episodes; waiting for the cluster, then letting the clients finish`);
    await c.waitReady(120_000).catch((err: unknown) => problems.push(`the cluster was not ready 120 s after the faults: ${String(err)}`));

    // ---- the end: clients finish, the group catches up --------------------------------
    checks.push(await clients.finish({ bootstrap: c.bootstrap, say, problems }));

    // ---- clean stops (each broker drains to the others), WALs aside, brokers again -------
    await eventually(60_000, async () => (await Promise.all(c.brokers.map((b) => b.metric('stratus_storage_pending_bytes')))).every((p) => p === 0));
    const finalStops = n.stops.length;
    for (const b of c.brokers) await n.term(b);
    for (const s of n.stops.slice(finalStops)) if (s.code !== 0) problems.push(`the final SIGTERM of ${s.node} (store up) exited with ${String(s.code)}`);
    for (const b of c.brokers) renameSync(join(c.dataDir, b.name, 'wal'), join(c.dataDir, b.name, 'wal-before-final-start'));
    for (const b of c.brokers) n.start(b);
    await c.waitReady(60_000).catch((err: unknown) => problems.push(`the final start was not ready within 60 s: ${String(err)}`));
    say('final start (every WAL moved aside, so from the object store alone): reading every topic back');
    checks.push(...(await clients.verify(c.bootstrap)));
  } catch (e) {
    problems.push(`the campaign itself failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    availability?.stop();
    nodes?.stop();
    await clients?.abort();
    proxy?.bringUp();
    await cluster?.stop().catch((e: unknown) => problems.push(`stopping the cluster failed: ${String(e)}`));
  }

  if (nodes !== undefined) problems.push(...nodes.problems);
  const stops = nodes?.stops ?? [];
  const badStops = stops.filter((s) => s.ms > 30_000 || (s.wasReady && s.code !== 0));
  const starting = stops.filter((s) => !s.wasReady);
  checks.push({
    name: 'SIGTERM: exit code 0 within 30 s every time a ready process is stopped (brokers drain first)',
    ok: badStops.length === 0,
    detail:
      badStops.length === 0
        ? `${stops.length} stops, slowest ${Math.max(0, ...stops.map((s) => s.ms))} ms${starting.length > 0 ? `; ${starting.length} of them while still starting (${starting.map((s) => `${s.node} exit ${String(s.code)}`).join(', ')})` : ''}`
        : badStops.map((s) => `${s.node}: exit ${String(s.code)} after ${s.ms} ms${s.wasReady ? '' : ' (still starting)'}`).join('; '),
  });
  checks.push({
    name: 'processes: no crash, no unexpected exit, nothing unexpected',
    ok: problems.length === 0,
    detail: problems.length === 0 ? `${[...(nodes?.starts.values() ?? [])].reduce((a, b) => a + b, 0)} restarts` : problems.map((p) => p.split('\n')[0]).slice(0, 5).join('; '),
  });
  const keep = (process.env['STRATUS_CHAOS_KEEP'] ?? '') !== '';
  const ok = checks.every((x) => x.ok) && checks.length > 2;
  const report: ClusterCampaignReport = {
    mode: 'cluster',
    seed,
    minutes,
    replay: replayClusterCommand(seed, minutes),
    startedAt: new Date(t0).toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    settings: { ...FAULT_SETTINGS, topology: 'Redis (AOF, appendfsync always), MinIO behind a TCP proxy, 2 controllers, 3 brokers, cluster timings at their defaults (broker lease 6 s, controller lease 3 s)' },
    topics: TOPICS,
    episodes,
    counts: {
      ...CampaignClients.counts(clients),
      episodesByKind: byKind,
      starts: Object.fromEntries(nodes?.starts ?? []),
      gracefulStops: stops,
      outageSeconds: Math.round(outageMs / 1000),
      availabilitySeconds: availability?.seconds ?? {},
    },
    checks,
    problems,
    ok,
    durationS: Math.round((Date.now() - t0) / 1000),
    workDir: ok && !keep ? undefined : workDir,
  };
  if (ok && !keep) rmSync(workDir, { recursive: true, force: true });
  return report;
}

export function summarizeCluster(r: ClusterCampaignReport): string {
  const c = r.counts;
  const k = c.episodesByKind;
  const lines = [
    `cluster chaos campaign: seed ${r.seed}, ${r.minutes} min of faults, ${r.durationS} s in all`,
    `  faults: ${k['broker-kill'] + k['broker-kill-in-outage']} broker SIGKILLs (${k['broker-kill-in-outage']} during an outage), ${k['broker-term']} broker SIGTERMs, ` +
      `${k['controller-kill']} controller SIGKILLs, ${k['controller-term']} controller SIGTERMs, ${k['redis-restart']} Redis SIGKILL+restarts, ` +
      `${k['store-outage'] + k['broker-kill-in-outage']} object-store outages (${c.outageSeconds} s); restarts: ${Object.entries(c.starts).map(([x, v]) => `${x} ${v}`).join(', ') || 'none'}`,
    ...clientSummaryLines(c),
    `  graceful stops: ${c.gracefulStops.length}, slowest ${Math.max(0, ...c.gracefulStops.map((s) => s.ms))} ms`,
    `  availability during the faults (s): ${Object.entries(c.availabilitySeconds).map(([x, v]) => `${x} ${v}`).join(', ')}`,
    groupSummaryLine(c),
    '  checks:',
    ...r.checks.map((x) => `    ${x.ok ? 'ok  ' : 'FAIL'} ${x.name} — ${x.detail}`),
  ];
  if (r.problems.length > 0) lines.push('  problems:', ...r.problems.map((p) => `    ${p.split('\n').join('\n    ')}`));
  lines.push(
    r.ok ? `PASSED (seed ${r.seed}; replay: ${r.replay})` : `FAILED: seed ${r.seed}. Replay the same fault schedule with: ${r.replay}`,
    ...(r.workDir !== undefined ? [`  kept: ${r.workDir} (cluster/logs: every process's log; java-*.log: the Java producers' logs; cluster/: data)`] : []),
  );
  return lines.join('\n');
}
