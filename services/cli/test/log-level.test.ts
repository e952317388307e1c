// The log level changes while the process runs: SIGUSR2 steps from the configured level to
// debug, trace and back (logger.ts), each change said in one line. A real process with the
// real logger gets real signals; which lines it writes after each change is what counts.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { levelCycle, nextLevel } from '../src/logger.ts';

interface Line {
  readonly msg: string;
  readonly level: number;
  readonly tick?: number;
}

/** The fixture's lines as they come, with a wait for the first line after `from` that matches. */
function start(level: string): { child: ChildProcess; lines: Line[]; waitFor(match: (l: Line) => boolean, from?: number): Promise<number> } {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'log-level-signal.ts'), level], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Line[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (match: (l: Line) => boolean, from = 0): Promise<number> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const at = lines.findIndex((l, i) => i >= from && match(l));
      if (at >= 0) return at;
      if (Date.now() > deadline) throw new Error(`no matching line; got ${lines.slice(from).map((l) => l.msg).join(', ')}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { child, lines, waitFor };
}

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

const names = (lines: readonly Line[]): Set<string> => new Set(lines.map((l) => l.msg));

describe('log level at run time', () => {
  it('cycles configured → debug → trace → configured on SIGUSR2', () => {
    expect(levelCycle('info')).toEqual(['info', 'debug', 'trace']);
    expect(levelCycle('debug')).toEqual(['debug', 'trace']);
    expect(levelCycle('warn')).toEqual(['warn', 'debug', 'trace']);
    expect(nextLevel('info', 'info')).toBe('debug');
    expect(nextLevel('info', 'trace')).toBe('info');
    expect(nextLevel('warn', 'error')).toBe('warn');
  });

  it('a process at info shows debug lines after one SIGUSR2, trace lines after two, and neither after three', async () => {
    const p = start('info');
    running = p.child;
    const firstInfo = await p.waitFor((l) => l.msg === 'tick-info');
    // Some ticks at info: no debug or trace.
    const settled = await p.waitFor((l) => l.msg === 'tick-info' && l.tick! >= 3, firstInfo);
    expect(names(p.lines.slice(firstInfo, settled + 1))).toEqual(new Set(['tick-info']));

    p.child.kill('SIGUSR2');
    const toDebug = await p.waitFor((l) => l.msg === 'log level debug (SIGUSR2)');
    const debugTick = await p.waitFor((l) => l.msg === 'tick-debug', toDebug);
    await p.waitFor((l) => l.msg === 'tick-info' && l.tick! >= p.lines[debugTick]!.tick! + 3, debugTick);
    expect(names(p.lines.slice(toDebug + 1))).toEqual(new Set(['tick-debug', 'tick-info']));

    p.child.kill('SIGUSR2');
    const toTrace = await p.waitFor((l) => l.msg === 'log level trace (SIGUSR2)');
    await p.waitFor((l) => l.msg === 'tick-trace', toTrace);

    p.child.kill('SIGUSR2');
    const back = await p.waitFor((l) => l.msg === 'log level info (SIGUSR2)');
    // The change line itself is at info (30); after it, ticks at info only.
    expect(p.lines[back]!.level).toBe(30);
    const later = await p.waitFor((l) => l.msg === 'tick-info' && l.tick! >= (p.lines[back - 1]?.tick ?? 0) + 4, back);
    expect(names(p.lines.slice(back + 1, later + 1))).toEqual(new Set(['tick-info']));
  });

  it('a process at warn says it went back to warn at warn, where the line is still seen', async () => {
    const p = start('warn');
    running = p.child;
    // Once it has logged it has its handler (before, SIGUSR2's default action would end it).
    await p.waitFor((l) => l.msg === 'started');
    p.child.kill('SIGUSR2');
    await p.waitFor((l) => l.msg === 'log level debug (SIGUSR2)');
    p.child.kill('SIGUSR2');
    await p.waitFor((l) => l.msg === 'log level trace (SIGUSR2)');
    p.child.kill('SIGUSR2');
    const back = await p.waitFor((l) => l.msg === 'log level warn (SIGUSR2)');
    expect(p.lines[back]!.level).toBe(40);
  });
});
