// The process logger: pino, JSON lines by default (for log pipelines), human-readable
// when log.pretty is set (what `stratus dev` uses on a terminal). The level comes from
// log.level (STRATUS_LOG_LEVEL) and can be changed while the process runs: SIGUSR2 steps
// through LEVEL_CYCLE from the configured level (configured → debug → trace → configured),
// saying so in one line at the new level's reach; setLogLevel() is the same for code (an
// HTTP endpoint, say).

import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The signal that changes the level at run time (SIGUSR1 is Node's inspector's). */
export const LEVEL_SIGNAL = 'SIGUSR2';

/** The levels SIGUSR2 steps through, starting from (and returning to) the configured one. */
export function levelCycle(configured: LogLevel): LogLevel[] {
  return [...new Set<LogLevel>([configured, 'debug', 'trace'])];
}

/** The level after `current` in the cycle of `configured` (the configured one again from anywhere else). */
export function nextLevel(configured: LogLevel, current: string): LogLevel {
  const cycle = levelCycle(configured);
  const at = cycle.indexOf(current as LogLevel);
  return cycle[(at + 1) % cycle.length] ?? configured;
}

export function createLogger(options: { level: LogLevel | string; pretty: boolean; name: string }): Logger {
  const log = options.pretty
    ? pino({
        name: options.name,
        level: options.level,
        transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
      })
    : pino({ name: options.name, level: options.level });
  const configured = options.level as LogLevel;
  // A signal listener does not keep the process alive.
  process.on(LEVEL_SIGNAL, () => setLogLevel(log, nextLevel(configured, log.level), LEVEL_SIGNAL));
  return log;
}

/** Changes the level now, logging the change at the more verbose of the two levels' reach (info unless going quieter). */
export function setLogLevel(log: Logger, level: LogLevel, why: string): void {
  const previous = log.level;
  if (previous === level) return;
  log.level = level;
  // Written at whichever of info and the new level shows: quieter than info still says it went quiet.
  const shown = pino.levels.values[level]! > pino.levels.values.info! ? level : 'info';
  log[shown as 'info']({ from: previous, to: level }, `log level ${level} (${why})`);
}
