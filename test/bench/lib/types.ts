// The shape of the benchmark's results (test/bench/results/<date>.json).

import type { Operation } from './object-store.ts';

export interface Latency {
  readonly avgMs?: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  readonly p999Ms?: number;
  readonly maxMs?: number;
}

export interface ObjectStoreRow {
  readonly requests: Readonly<Record<Operation, number>>;
  readonly failedRequests: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  /** Client payload GiB (2^30 bytes) the row produced or consumed: the denominator of "per GiB". */
  readonly clientGiB: number;
  /** PUTs per GiB produced (produce rows). */
  readonly putsPerGiB?: number;
  /** GETs per GiB consumed (consume rows). */
  readonly getsPerGiB?: number;
  /** All requests per GiB moved. */
  readonly requestsPerGiB: number;
  readonly putsPerSec?: number;
  readonly bytesPerPut?: number;
  /** Request cost (PRICE table) per GiB moved, USD. */
  readonly costPerGiBUsd: { readonly putClass: number; readonly getClass: number; readonly total: number };
}

export interface Row {
  /** W1, W2, W3-hot, W3-cold, W4, W5-6p, W5-1000p, W5-10000p, W6-lz4, W6-zstd. */
  readonly workload: string;
  readonly title: string;
  /** SystemSpec id. */
  readonly system: string;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  /** What was run (tool, sizes, rate, settings). */
  readonly params: Record<string, string | number>;
  direction: 'produce' | 'consume' | 'end-to-end';
  records?: number;
  mbPerSec?: number;
  recordsPerSec?: number;
  latency?: Latency;
  /** Seconds the tool ran (JVM start included). */
  toolSeconds?: number;
  /** Seconds spent creating and waiting for the topic (not measured). */
  setupSeconds?: number;
  /** Stratus: seconds waited after the tool for uploads to finish (measured: CPU, requests). */
  drainSeconds?: number;
  brokerPid?: number;
  brokerCpuSeconds?: number;
  brokerPeakRssBytes?: number;
  /** Broker RSS right before the tool started (after topic set-up). */
  brokerRssBeforeBytes?: number;
  clientCpuSeconds?: number;
  /** Cores' worth of CPU busy on the whole machine during the row, and what neither broker nor client used (other processes). */
  machineBusyCores?: number;
  otherCpuSeconds?: number;
  objectStore?: ObjectStoreRow;
  extra?: Record<string, number | string>;
  /** Broker log tail when the row failed. */
  brokerLog?: string;
}

export interface SystemResult {
  readonly id: string;
  readonly label: string;
  readonly settings: string;
  readonly env: Readonly<Record<string, string>>;
  status: 'ran' | 'not offered' | 'failed to start' | 'skipped';
  note?: string;
  startSeconds?: number;
  totalSeconds?: number;
}

export interface Results {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: Record<string, string | number>;
  readonly versions: Record<string, string>;
  readonly settings: Record<string, unknown>;
  readonly systems: SystemResult[];
  readonly rows: Row[];
  readonly priceTable: string;
  durationSeconds?: number;
}
