// SIGTERM / SIGINT for the long-running commands: the first starts a graceful stop, a
// second exits at once; after a clean stop, whatever still holds the event loop is named
// in the log and the process exits anyway 2 s later.

import type { Logger } from '../logger.ts';

export function onStopSignals(log: Logger, stop: (signal: string) => void): void {
  let stopping = false;
  const handle = (signal: string): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    stop(signal);
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

/** After a clean stop: exit even if something still holds the event loop, naming it. */
export function exitSoonAfterStop(log: Logger): void {
  setTimeout(() => {
    log.warn({ resources: process.getActiveResourcesInfo() }, 'still running 2 s after a clean stop: exiting');
    process.exit(process.exitCode ?? 0);
  }, 2000).unref();
}
