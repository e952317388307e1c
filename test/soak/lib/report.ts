// The markdown of a soak run (test/soak/results/<date>-<M>min.md): settings, what the
// workload did, the figures of every series (start, after the warm-up, end) with its
// verdict and a sparkline, the checks after quiescing, and the process's warnings.

import type { SeriesFigures } from './judge.ts';
import type { SoakResult } from './soak.ts';

const MiB = 1024 * 1024;

export interface RunInfo {
  readonly commit: string;
  readonly machine: string;
  readonly node: string;
}

export function format(v: number | undefined, unit: SeriesFigures['unit']): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'bytes':
      return Math.abs(v) >= 10 * 1024 * MiB
        ? `${(v / (1024 * MiB)).toFixed(1)} GiB`
        : Math.abs(v) >= 10 * MiB
          ? `${(v / MiB).toFixed(0)} MiB`
          : Math.abs(v) >= MiB
            ? `${(v / MiB).toFixed(1)} MiB`
            : `${(v / 1024).toFixed(0)} KiB`;
    case 'seconds':
      return `${(v * 1000).toFixed(1)} ms`;
    case 'per-second':
      return `${v.toFixed(1)}/s`;
    case 'cores':
      return v.toFixed(2);
    case 'count':
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
}

const BARS = '▁▂▃▄▅▆▇█';

/** The series over the whole run in `width` buckets (means), scaled between its min and max. */
export function sparkline(values: readonly number[], width = 30): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const buckets: number[] = [];
  for (let i = 0; i < width; i++) {
    const part = finite.slice(Math.floor((i * finite.length) / width), Math.floor(((i + 1) * finite.length) / width));
    if (part.length > 0) buckets.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  const lo = Math.min(...buckets);
  const hi = Math.max(...buckets);
  return buckets.map((v) => (hi === lo ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))])).join('');
}

function verdictCell(s: SeriesFigures): string {
  switch (s.verdict) {
    case 'flat':
      return `flat (+${format(Math.max(0, s.growth ?? 0), s.unit)} ≤ ${format(s.allowed, s.unit)})`;
    case 'grows':
      return `**GROWS** (+${format(s.growth, s.unit)} > ${format(s.allowed, s.unit)})`;
    case 'within bound':
      return `within ${format(s.allowed, s.unit)}`;
    case 'over bound':
      return `**OVER** ${format(s.allowed, s.unit)}`;
    default:
      return s.verdict;
  }
}

export function verdictLine(r: SoakResult): string {
  const failedChecks = r.checks.filter((c) => !c.ok);
  if (r.aborted !== undefined) return `ABORTED: ${r.aborted}`;
  if (r.judgement.failed.length === 0 && failedChecks.length === 0) return 'PASS: every judged series stays flat after the warm-up, and the quiesced process holds nothing of the churn';
  const parts: string[] = [];
  if (r.judgement.failed.length > 0) parts.push(`grows: ${r.judgement.failed.join(', ')}`);
  if (failedChecks.length > 0) parts.push(`failed checks: ${failedChecks.map((c) => c.name).join('; ')}`);
  return `FAIL: ${parts.join('; ')}`;
}

export function renderMarkdown(r: SoakResult, info: RunInfo): string {
  const c = r.counters;
  const minutes = r.durationSeconds / 60;
  const [middleFrom, lastFrom] = r.judgement.thirds;
  const lines: string[] = [
    `# Soak run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC — ${minutes.toFixed(1)} min, seed ${r.seed}`,
    '',
    `**${verdictLine(r)}**`,
    '',
    `Stratus ${info.commit}, ${info.node}, ${info.machine}. Replay: \`npm run soak -- --minutes ${Math.round(minutes)} --seed ${r.seed}\`.`,
    '',
    '## Settings',
    '',
    `\`stratus dev\` with ${Object.entries(r.env)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}; long-lived topics with ${Object.entries(r.topicConfigs)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')} (even ones local durability, odd ones object).`,
    '',
    `Workload: ${r.profile.steadyTopics} long-lived topics × ${r.profile.partitions} partitions at ${r.profile.recordsPerSecond} records/s each (${r.profile.valueBytes}-byte values, idempotent kafkajs producers, acks=all), ` +
      `a group of ${r.profile.membersPerGroup} consumers per topic with one member replaced every ~${r.profile.churnEveryMs / 1000} s, ` +
      `a topic create → produce ${r.profile.cycleRecords} → consume in a new group → delete cycle every ~${r.profile.cycleEveryMs / 1000} s, ` +
      `and a new group reading for ${r.profile.ephemeralReadMs / 1000} s and leaving for good every ~${r.profile.ephemeralEveryMs / 1000} s. Sampled every ${r.profile.sampleEveryMs / 1000} s.`,
    '',
    '## What the workload did',
    '',
    '| produced | consumed | group joins | members replaced | topic cycles | topics created / deleted | ephemeral groups | producer restarts |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${c.produced.toLocaleString('en-US')} | ${c.consumed.toLocaleString('en-US')} | ${c.joins} | ${c.memberChurns} | ${c.cycles} | ${c.topicsCreated} / ${c.topicsDeleted} | ${c.ephemeralGroups} | ${c.producerRestarts} |`,
    '',
  ];
  const errors = Object.entries(c.errors);
  if (errors.length > 0) {
    lines.push('Client errors (after kafkajs retries):', '', '| kind | count | last |', '| --- | ---: | --- |');
    for (const [kind, e] of errors) lines.push(`| ${kind} | ${e.count} | ${e.last.replace(/\|/g, '\\|')} |`);
    lines.push('');
  } else {
    lines.push('No client errors.', '');
  }
  lines.push(
    '## Series',
    '',
    `Warm-up: the first third (to ${(middleFrom / 60).toFixed(1)} min). "after warm-up" is the mean of the middle third, "last third" the mean from ${(lastFrom / 60).toFixed(1)} min; ` +
      'a judged series grows when the last third exceeds the middle one by more than its allowance (max of a relative tolerance and an absolute floor).',
    '',
    '| series | start | after warm-up | last third | end | min–max after warm-up | slope / h | verdict | over the run |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  );
  for (const s of r.judgement.series) {
    const values = r.samples.map((x) => x.values[s.key] ?? Number.NaN);
    lines.push(
      `| ${s.label} | ${format(s.start, s.unit)} | ${format(s.middle, s.unit)} | ${format(s.last, s.unit)} | ${format(s.end, s.unit)} | ${format(s.min, s.unit)}–${format(s.max, s.unit)} | ${format(s.slopePerHour, s.unit)} | ${verdictCell(s)} | \`${sparkline(values)}\` |`,
    );
  }
  lines.push('', '## After the clients stopped', '');
  if (r.quiesced === undefined) {
    lines.push('Not reached.');
  } else {
    lines.push(`Quiesced ${r.quiesceSeconds.toFixed(1)} s after the clients stopped.`, '', '| check | result | |', '| --- | --- | --- |');
    for (const ch of r.checks) lines.push(`| ${ch.name} | ${ch.ok ? 'ok' : '**FAILED**'} | ${ch.detail} |`);
  }
  lines.push('', '## Process log (warn and above)', '');
  if (r.processLog.length === 0) lines.push('Nothing.');
  else {
    lines.push('| level | count | message |', '| --- | ---: | --- |');
    for (const l of r.processLog.slice(0, 15)) lines.push(`| ${l.level} | ${l.count} | ${l.msg.replace(/\|/g, '\\|')} |`);
  }
  lines.push('', `Stopped with exit code ${r.stopExitCode}.`);
  if (r.heapSnapshots.length > 0) lines.push('', `Heap snapshots: ${r.heapSnapshots.join(', ')}.`);
  return lines.join('\n') + '\n';
}
