// The processes a doc block started, found through Linux's /proc, so the doc test can stop
// all of them — not only those in the block's own process group. `npm run cluster` moves
// its supervisor into a session of its own (so that a terminal's Ctrl-C reaches only the
// launcher, which stops the cluster in order); a killing of the block's group misses it
// and everything it started, and a supervisor that exits without stopping its children
// leaves them running, reparented to init, where no parent-child walk finds them. What
// they keep is their session: a block's processes are those in the sessions seen among its
// descendants while it ran (SessionTracker.sample), starting with the block's own.
// Elsewhere than Linux nothing is found, and the doc test falls back to the block's group.

import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** The command line, for messages. */
  readonly command: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

/** Every live process (zombies left out: they are gone, only not yet reaped). */
export function processes(): ProcessInfo[] {
  if (!HAS_PROC) return [];
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses.
      const [state, ppid, pgid, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), command });
    } catch {
      // exited while being read
    }
  }
  return out;
}

/** The sessions a process tree has spread over, and the live processes in them. */
export class SessionTracker {
  private readonly root: number;
  private readonly sessions = new Set<number>();

  /** `root`: the block's shell, leader of a session of its own (spawned detached). */
  constructor(root: number) {
    this.root = root;
    this.sessions.add(root);
  }

  /** Records the sessions of `root`'s live descendants (call it while they run). */
  sample(): void {
    const all = processes();
    const children = new Map<number, ProcessInfo[]>();
    for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const stack = [this.root];
    while (stack.length > 0) {
      for (const c of children.get(stack.pop()!) ?? []) {
        this.sessions.add(c.sid);
        stack.push(c.pid);
      }
    }
  }

  /** Live processes in the recorded sessions. */
  alive(): ProcessInfo[] {
    return processes().filter((p) => this.sessions.has(p.sid));
  }

  /** SIGKILL to every live process in the recorded sessions; returns them. */
  killAll(): ProcessInfo[] {
    const left = this.alive();
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone in between
      }
    }
    return left;
  }
}
