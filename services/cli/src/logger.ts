// The process logger: pino, JSON lines by default (for log pipelines), human-readable
// when log.pretty is set (what `stratus dev` uses on a terminal).

import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level: string; pretty: boolean; name: string }): Logger {
  if (!options.pretty) return pino({ name: options.name, level: options.level });
  return pino({
    name: options.name,
    level: options.level,
    transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
  });
}
