// What /livez and /readyz evaluate: a list of named checks, each answering undefined
// (passing) or a short reason (failing). The HTTP port answers 200 when every check
// passes, else 503 with one line per failing check ("not ready: <check>: <reason>"); with
// ?verbose, every check and its state, as Kubernetes' own /readyz?verbose does, so an
// operator sees what passed too.

export interface HealthCheck {
  /** Short and stable (it is in the body and in the docs), e.g. `wal`, `controller-lease`. */
  readonly name: string;
  /** Undefined when the check passes; otherwise why not, in a few words. */
  problem(): string | undefined;
}

export interface CheckResult {
  readonly name: string;
  readonly problem: string | undefined;
}

/** Runs every check (all of them: the verbose answer lists each); a check that throws fails with what it threw. */
export function runChecks(checks: readonly HealthCheck[]): CheckResult[] {
  return checks.map((c) => {
    try {
      return { name: c.name, problem: c.problem() };
    } catch (e) {
      return { name: c.name, problem: `the check itself failed: ${(e as Error).message}` };
    }
  });
}

/**
 * The body of a probe's answer. `probe` is `livez` or `readyz`; `passed` the word of a
 * plain 200 (`ok`, `ready`: what scripts and the image's HEALTHCHECK already read).
 */
export function probeBody(probe: 'livez' | 'readyz', results: readonly CheckResult[], verbose: boolean): { ok: boolean; body: string } {
  const failed = results.filter((r) => r.problem !== undefined);
  const ok = failed.length === 0;
  if (verbose) {
    const lines = results.map((r) => (r.problem === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.problem}`));
    return { ok, body: `${lines.join('\n')}\n${probe} check ${ok ? 'passed' : 'failed'}\n` };
  }
  if (ok) return { ok, body: probe === 'livez' ? 'ok\n' : 'ready\n' };
  const word = probe === 'livez' ? 'not live' : 'not ready';
  return { ok, body: failed.map((r) => `${word}: ${r.name}: ${r.problem}\n`).join('') };
}
