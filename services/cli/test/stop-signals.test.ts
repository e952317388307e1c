// SIGTERM while a long-running command is still starting: kept and acted on once the start
// is done (a clean stop, exit 0), not the default action that kills the process mid-start.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('stop signals', () => {
  it('a SIGTERM during the start stops the command once it has started, with its own exit code', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'signal-during-start.ts')], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const messages = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(['SIGTERM while starting: stopping as soon as the start is done', 'stopped by SIGTERM']);
  });
});
