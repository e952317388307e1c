// The image's HEALTHCHECK: exits 0 when /livez of the container's stratus process answers
// 200 within the timeout, 1 otherwise. The slim image has no curl, and Node is there.
// Plain JavaScript with no imports: it starts in a few tens of milliseconds, every 10 s.
//
// The port: STRATUS_HTTP_PORT when set; otherwise the default of the command PID 1 runs
// (tini → node … main.ts <command>): 9645 for `controller`, 9644 for the others — the
// defaults of services/cli/src/config/*-schema.ts. A port set only in a --config file is
// not seen here: set STRATUS_HTTP_PORT instead.
import { readFileSync } from 'node:fs';

const TIMEOUT_MS = 3000;
const DEFAULT_HTTP_PORT = 9644;
const CONTROLLER_HTTP_PORT = 9645;

function commandOfPid1() {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  } catch {
    return [];
  }
}

const port = process.env.STRATUS_HTTP_PORT || (commandOfPid1().includes('controller') ? CONTROLLER_HTTP_PORT : DEFAULT_HTTP_PORT);
const url = `http://127.0.0.1:${port}/livez`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status !== 200) {
    console.error(`${url}: ${response.status} ${(await response.text()).trim()}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`${url}: ${e.message}`);
  process.exit(1);
}
