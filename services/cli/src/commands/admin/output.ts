// What every `stratus admin` subcommand shares about its output: the exit codes, the
// error that ends a command with one of them, tables for people and JSON for scripts.

import { errorName } from '@stratus/protocol';

/**
 * Exit codes of `stratus admin` (documented in its usage text and the README):
 * 0 done; 1 the controller or a broker refused an item, or an operation did not finish
 * (a drain that timed out, a reset refused while the group has members); 2 the command
 * line was wrong, or no controller or broker answered.
 */
export const ADMIN_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Ends a subcommand: its message goes to stderr, its code is the process's exit code. */
export class AdminExit extends Error {
  readonly code: number;
  /** Print the usage text after the message (a command line that was wrong). */
  readonly showUsage: boolean;
  constructor(code: number, message: string, showUsage = false) {
    super(message);
    this.name = 'AdminExit';
    this.code = code;
    this.showUsage = showUsage;
  }
}

/** A wrong command line: exit 2, the usage text after the message. */
export const usageError = (message: string): AdminExit => new AdminExit(ADMIN_EXIT.usage, message, true);

/** How a subcommand prints: JSON (one document on stdout) or text for a terminal. */
export interface Output {
  readonly json: boolean;
  /** The human form: lines on stdout (nothing with --json). */
  text(line: string): void;
  /** Progress of a long operation: stdout for people, stderr with --json so stdout stays one document. */
  progress(line: string): void;
  /**
   * A step of a long operation, `done` of `total`: a progress bar redrawn in place when
   * stdout is a terminal (and not --json), otherwise a progress line — logs and scripts
   * get lines, never carriage returns.
   */
  step(line: string, done: number, total: number): void;
  /** Ends the bar's line, if one was drawn (call before printing anything else). */
  endSteps(): void;
  /** The JSON document (only with --json). */
  document(value: unknown): void;
}

export function createOutput(json: boolean, stdoutIsTTY = process.stdout.isTTY === true): Output {
  const bars = stdoutIsTTY && !json;
  let barDrawn = false;
  const progress = (line: string): void => {
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  const endSteps = (): void => {
    if (barDrawn) process.stdout.write('\n');
    barDrawn = false;
  };
  return {
    json,
    text: (line) => {
      endSteps();
      if (!json) process.stdout.write(`${line}\n`);
    },
    progress,
    step: (line, done, total) => {
      if (!bars) return progress(line);
      process.stdout.write(`\r\x1b[K${progressBar(done, total)} ${line}`);
      barDrawn = true;
    },
    endSteps,
    document: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/** Cells of a progress bar. */
const BAR_WIDTH = 24;

/** `[#########...............] 3/8` (total 0 counts as done). */
export function progressBar(done: number, total: number): string {
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A per-item error of the controller (a Kafka error code) for JSON: stable fields code, name, message. */
export interface ItemError {
  readonly code: number;
  readonly name: string;
  readonly message: string | null;
}

export function itemError(result: { readonly errorCode: number; readonly errorMessage?: string | null | undefined }): ItemError | null {
  if (result.errorCode === 0) return null;
  return { code: result.errorCode, name: errorName(result.errorCode), message: result.errorMessage ?? null };
}

export function describeItemError(e: ItemError): string {
  return e.message !== null && e.message !== '' ? `${e.name}: ${e.message}` : e.name;
}

/** A duration for people: 850 ms, 2.3 s, 4 m 05 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** "1 partition", "3 partitions". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
