// The cluster figures' results (what test/bench/cluster.ts saves as JSON) and their markdown:
// distributions of move and failover times against the issue's targets, produce
// percentiles with and without S3-like PUT latency, and 3 brokers against 1 with CPU
// seconds per GiB of every process.

import type { LatencyResult } from './latency.ts';
import type { FailoverFault, MoveSample } from './moves.ts';
import type { ScalingResult } from './scaling.ts';

export interface ClusterBenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { cpu: string; cores: number; memoryGiB: number; kernel: string; loadAverageAtStart: string };
  readonly versions: Readonly<Record<string, string>>;
  readonly topology: string;
  readonly probeClient: string;
  readonly putLatencyMs: readonly [number, number];
  readonly moves: MoveSample[];
  readonly failovers: (MoveSample & { fault: FailoverFault })[];
  readonly latency: LatencyResult[];
  readonly scaling: ScalingResult[];
  durationSeconds?: number;
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function distribution(values: readonly (number | undefined)[]): string {
  const done = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const missing = values.length - done.length;
  if (done.length === 0) return `no sample${missing > 0 ? ` (${missing} without a produce within the limit)` : ''}`;
  return `n ${done.length}, min ${done[0]}, p50 ${pct(done, 50)}, p90 ${pct(done, 90)}, p99 ${pct(done, 99)}, max ${done.at(-1)}${missing > 0 ? `; ${missing} never accepted a produce within the limit` : ''}`;
}

function withinTarget(values: readonly (number | undefined)[], targetMs: number): string {
  const done = values.filter((v): v is number => v !== undefined);
  if (done.length === 0) return '—';
  const under = done.filter((v) => v < targetMs).length;
  return `${under}/${values.length} under ${targetMs / 1000} s`;
}

export function renderClusterMarkdown(r: ClusterBenchResults): string {
  const lines: string[] = [
    `# Stratus cluster figures — ${r.date}${r.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${r.machine.cores} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB, ${r.machine.kernel}; load average at start ${r.machine.loadAverageAtStart}. ` +
      `Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join('; ')}.`,
    '',
    `Topology (every part starts its own): ${r.topology}. Every process shares the same ${r.machine.cores} cores.`,
    '',
  ];
  if (r.moves.length > 0 || r.failovers.length > 0) {
    lines.push(
      '## Leadership changes (ms from the move start or the kill to the first produce the new leader accepted)',
      '',
      `Probe: one producer per partition, ${r.probeClient}.`,
      '',
      '| what | target | produce accepted by the new leader (ms) | controller metadata shows the new leader (ms) | within target |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const d of ['local', 'object'] as const) {
      const s = r.moves.filter((m) => m.durability === d);
      if (s.length === 0) continue;
      lines.push(`| graceful move, \`${d}\` topic (reassignPartitions, 3 at once) | < 1 s | ${distribution(s.map((x) => x.produceMs))} | ${distribution(s.map((x) => x.metadataMs))} | ${withinTarget(s.map((x) => x.produceMs), 1000)} |`);
    }
    for (const fault of [...new Set(r.failovers.map((f) => f.fault))]) {
      const s = r.failovers.filter((f) => f.fault === fault);
      const how = fault === 'SIGKILL' ? 'SIGKILL of the leader (its sockets close)' : 'SIGSTOP of the leader (frozen: its sockets stay open)';
      if (fault === 'SIGKILL') lines.push(`| failover, \`object\` topic, ${how}, broker lease 6 s | < 2 s | ${distribution(s.map((x) => x.produceMs))} | ${distribution(s.map((x) => x.metadataMs))} | ${withinTarget(s.map((x) => x.produceMs), 2000)} |`);
      else lines.push(`| failover, \`object\` topic, ${how}, broker lease 6 s | — | the client's request timeout (see below) | ${distribution(s.map((x) => x.metadataMs))} | — |`);
    }
    lines.push(
      '',
      'Failovers are decided by suspicion, not by the lease: a broker whose connection to the controller closed is suspected after suspectAfterDisconnect (500 ms), one not heard from after suspectAfterSilence (3 heartbeat intervals, 3 s), and its object-durable partitions move at once (docs/architecture.md, "Leases, leadership and moves"). With a frozen leader only the metadata is timed: a request sent to it hangs until the client\'s request timeout (kafkajs then retries on the same broker without refreshing metadata; Java refreshes after request.timeout.ms), as against a frozen Kafka leader.',
      '',
    );
  }
  if (r.latency.length > 0) {
    lines.push(
      '## Produce latency of an object-durable topic (acks=all: answered once the batch is in a committed object)',
      '',
      `ProducerPerformance at a fixed rate, 6 partitions, 1 KiB records, acks=all linger.ms=5 batch.size=65536, bootstrapped to the 3 brokers; the steady-state summary after the warm-up. PUT latency drawn uniformly from [${r.putLatencyMs[0]}, ${r.putLatencyMs[1]}] ms per PUT (seeded), other requests unchanged. Target: p99 below WarpStream's published ~400 ms on S3 Standard.`,
      '',
      '| object store | broker settings | records/s | p50 | p95 | p99 | p99.9 | max | PUTs (mean added ms) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const l of r.latency) {
      const s = l.steady;
      const env = Object.entries(l.brokerEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
      if (s === undefined) lines.push(`| ${l.label} | ${env} | failed: ${l.error ?? '?'} | | | | | | |`);
      else lines.push(`| ${l.label} | ${env} | ${Math.round(s.recordsPerSec)} | ${s.p50Ms ?? '—'} | ${s.p95Ms ?? '—'} | ${s.p99Ms ?? '—'} | ${s.p999Ms ?? '—'} | ${s.maxMs} | ${l.puts === 0 ? '—' : `${l.puts} (${l.meanDrawnMs})`} |`);
    }
    lines.push('');
  }
  if (r.scaling.length > 0) {
    // Brokers first, then controllers, the peers, the client and the rest (the order the JSON keeps).
    const rank = (n: string): number => (n.startsWith('broker') ? 0 : n.startsWith('controller') ? 1 : n.startsWith('client') ? 3 : n.startsWith('rest') ? 4 : n.startsWith('machine') ? 5 : 2);
    const names = [...new Set(r.scaling.flatMap((s) => Object.keys(s.cpuSeconds)))].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
    lines.push(
      '## Throughput, 3 brokers vs 1 (CPU-bound: every process on the same cores)',
      '',
      'ProducerPerformance unthrottled, 6 partitions, 1 KiB records, acks=all linger.ms=5 batch.size=65536; CPU seconds from /proc over the run and until the uploads drained, divided by the GiB produced.',
      '',
      `| brokers | durability | MB/s | records/s | p99 ms | ${names.map((n) => `CPU s/GiB ${n}`).join(' | ')} |`,
      `| --- | --- | --- | --- | --- | ${names.map(() => '---').join(' | ')} |`,
    );
    for (const s of r.scaling) {
      if (s.total === undefined) {
        lines.push(`| ${s.brokers} | ${s.durability} | failed: ${s.error ?? '?'} | | | ${names.map(() => '').join(' | ')} |`);
        continue;
      }
      lines.push(`| ${s.brokers} | ${s.durability} | ${s.total.mbPerSec} | ${Math.round(s.total.recordsPerSec)} | ${s.total.p99Ms ?? '—'} | ${names.map((n) => (s.cpuSeconds[n] === undefined ? '—' : (s.cpuSeconds[n] / s.gib).toFixed(1))).join(' | ')} |`);
    }
    lines.push('');
  }
  if (r.durationSeconds !== undefined) lines.push(`Took ${Math.round(r.durationSeconds / 60)} min.`, '');
  return lines.join('\n');
}
