// Fault rules for MemoryFileSystem: which call fails, and how. A rule matches calls by
// operation and path, lets `skip` matching calls through, then fires on the next
// `times` matching calls. Kept as plain data so a seeded simulation can generate and
// print the exact faults of a run.

/** Every operation of FileSystem and FileHandle, as fault rules and freezes name them. */
export type FsOp =
  | 'open'
  | 'readdir'
  | 'unlink'
  | 'rename'
  | 'mkdir'
  | 'syncDir'
  | 'stat'
  | 'write'
  | 'read'
  | 'datasync'
  | 'truncate'
  | 'size'
  | 'close';

export interface FaultRule {
  /** The operation to fail; '*' for any. */
  readonly op: FsOp | '*';
  /** Only calls on this path: exact path, a RegExp, or a predicate. Any path when absent. */
  readonly path?: string | RegExp | ((path: string) => boolean);
  /** Matching calls to let through before the first failure. "Fail the 3rd write" is skip: 2. Default 0. */
  readonly skip?: number;
  /** Matching calls that fail once firing starts; Infinity for every later one. Default 1. */
  readonly times?: number;
  /** errno code of the thrown error. Default 'EIO'. */
  readonly error?: string;
  /**
   * write only: apply the first keepBytes bytes of the write before failing, like a
   * write cut off part-way (a torn write). With `returnShort`, no error is thrown and
   * the write resolves with keepBytes (a short write).
   */
  readonly keepBytes?: number;
  readonly returnShort?: boolean;
  /** read only: instead of failing, return the data with one random bit flipped (the stored bytes stay intact). */
  readonly flipBit?: boolean;
  /** The call never completes (a hung device); nothing is applied. */
  readonly hang?: boolean;
}

/** What a firing rule asks for; the file system carries it out. */
export type FaultAction =
  | { readonly kind: 'fail'; readonly error: string; readonly keepBytes: number | undefined; readonly returnShort: boolean }
  | { readonly kind: 'flip-bit' }
  | { readonly kind: 'hang' };

interface ArmedRule {
  readonly rule: FaultRule;
  skip: number;
  times: number;
}

export class FaultPlan {
  private rules: ArmedRule[] = [];

  add(rule: FaultRule): void {
    const skip = rule.skip ?? 0;
    const times = rule.times ?? 1;
    if (!Number.isInteger(skip) || skip < 0) throw new RangeError(`fault rule skip must be a non-negative integer, got ${skip}`);
    if (!(times >= 1)) throw new RangeError(`fault rule times must be at least 1, got ${times}`);
    this.rules.push({ rule, skip, times });
  }

  clear(): void {
    this.rules = [];
  }

  get pending(): number {
    return this.rules.length;
  }

  /** The action of the first rule that fires for this call, if any. Counts the call against every matching rule. */
  check(op: FsOp, path: string): FaultAction | undefined {
    let action: FaultAction | undefined;
    for (const armed of this.rules) {
      if (!matches(armed.rule, op, path)) continue;
      if (armed.skip > 0) {
        armed.skip--;
        continue;
      }
      if (action !== undefined) continue;
      armed.times--;
      const { rule } = armed;
      if (rule.hang === true) action = { kind: 'hang' };
      else if (rule.flipBit === true && op === 'read') action = { kind: 'flip-bit' };
      else action = { kind: 'fail', error: rule.error ?? 'EIO', keepBytes: rule.keepBytes, returnShort: rule.returnShort === true };
    }
    this.rules = this.rules.filter((armed) => armed.times > 0);
    return action;
  }
}

function matches(rule: FaultRule, op: FsOp, path: string): boolean {
  if (rule.op !== '*' && rule.op !== op) return false;
  const p = rule.path;
  if (p === undefined) return true;
  if (typeof p === 'string') return p === path;
  if (p instanceof RegExp) return p.test(path);
  return p(path);
}
