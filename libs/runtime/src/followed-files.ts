// Files followed as they change, as cert-manager rotates a mounted Secret on Kubernetes (it
// rewrites the files through a symlink swap). The files are polled (stat every intervalMs:
// inotify misses a symlink swap of a mounted Secret's directory, and a poll is bounded and
// simple); on a change the caller's load() reads them again and throws when the new set is
// not usable (a half-written file, a key from another certificate). A set that does not load
// keeps the old value and is reported once, until the files change again. The broker's
// listener TLS and the controller's gRPC TLS both follow their PEM files this way.

import { statSync } from 'node:fs';

export interface FollowedFilesOptions<T> {
  /** How often the files' status is checked; 0 disables polling (check() still works). */
  readonly intervalMs: number;
  /** A new value loaded after a change. */
  readonly onReload?: ((value: T) => void) | undefined;
  /** A change that did not load (or a file gone), once per change; the old value stays. */
  readonly onReloadFailed?: ((error: Error) => void) | undefined;
}

/** The value load() makes of some files, loaded again whenever they change. */
export class FollowedFiles<T> {
  private current: T;
  private stamp: string;
  private failedStamp: string | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly paths: readonly string[];
  private readonly load: () => T;
  private readonly options: FollowedFilesOptions<T>;

  /** Loads the files now; throws what load() throws (a process should not start on files that do not load). */
  constructor(paths: readonly string[], load: () => T, options: FollowedFilesOptions<T>) {
    this.paths = paths;
    this.load = load;
    this.options = options;
    // The stamp before the load: a change while loading is seen by the next check.
    this.stamp = filesStamp(paths);
    this.current = load();
    if (options.intervalMs > 0) {
      this.timer = setInterval(() => this.check(), options.intervalMs);
      this.timer.unref();
    }
  }

  /** The value of the files as last loaded successfully. */
  get value(): T {
    return this.current;
  }

  /** Looks at the files now (the timer does this every intervalMs). True when a new value was loaded. */
  check(): boolean {
    let stamp: string;
    try {
      stamp = filesStamp(this.paths);
    } catch (e) {
      this.failed(`missing:${(e as Error).message}`, e as Error);
      return false;
    }
    if (stamp === this.stamp) return false;
    try {
      this.current = this.load();
    } catch (e) {
      this.failed(stamp, e as Error);
      return false;
    }
    this.stamp = stamp;
    this.failedStamp = undefined;
    this.options.onReload?.(this.current);
    return true;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private failed(stamp: string, error: Error): void {
    if (stamp === this.failedStamp) return;
    this.failedStamp = stamp;
    this.options.onReloadFailed?.(error);
  }
}

/** Inode, size and mtime of each file: any rewrite or symlink swap changes one of them. */
function filesStamp(paths: readonly string[]): string {
  return paths
    .map((p) => {
      const s = statSync(p);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    })
    .join('|');
}
