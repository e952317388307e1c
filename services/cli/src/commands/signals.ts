// SIGTERM / SIGINT for the long-running commands: the first starts a graceful stop (once
// the command has started, if it comes during the start), a second exits at once; after a clean stop, whatever still holds the event loop is named
// in the log and the process exits anyway 2 s later.

import type { Logger } from '../logger.ts';

/**
 * Catches SIGTERM and SIGINT from the process's first moment: one that arrives while the
 * command is still starting (opening its WAL, reaching the controller) is kept and acted
 * on as soon as the command hands over its stop function — not the default action, which
 * would kill it mid-start with no clean exit code.
 */
export function catchStopSignals(log: Logger): { onStop(stop: (signal: string) => void): void } {
  let stopping = false;
  let pending: string | undefined;
  let stopFn: ((signal: string) => void) | undefined;
  const handle = (signal: string): void => {
    if (stopping || pending !== undefined) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    if (stopFn === undefined) {
      pending = signal;
      log.info(`${signal} while starting: stopping as soon as the start is done`);
      return;
    }
    stopping = true;
    stopFn(signal);
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
  return {
    onStop(stop) {
      stopFn = stop;
      if (pending === undefined) return;
      stopping = true;
      stop(pending);
    },
  };
}

/** After a clean stop: exit even if something still holds the event loop, naming it. */
export function exitSoonAfterStop(log: Logger): void {
  setTimeout(() => {
    log.warn({ resources: process.getActiveResourcesInfo() }, 'still running 2 s after a clean stop: exiting');
    process.exit(process.exitCode ?? 0);
  }, 2000).unref();
}
