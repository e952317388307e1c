// The image's HEALTHCHECK: exits 0 when /livez of the container's stratus process answers
// 200 within the timeout, 1 otherwise. The slim image has no curl, and Node is there.
// Plain JavaScript importing only Node's own modules: it starts in a few tens of milliseconds, every 10 s.
//
// The port: STRATUS_HTTP_PORT when set; otherwise the default of the command PID 1 runs
// (tini → node … main.ts <command>): 9645 for `controller`, 9644 for the others — the
// defaults of services/cli/src/config/*-schema.ts. A port set only in a --config file is
// not seen here: set STRATUS_HTTP_PORT instead.
//
// With http.tls set by STRATUS_HTTP_TLS_CERT_FILE the port speaks https: asked over https
// without checking the certificate, as a kubelet's HTTPS probe does — this asks its own
// container's process on loopback whether it is alive, not who it is. /livez needs no
// client certificate even with http.tls.clientAuth required (services/cli/src/http-tls.ts).
import { readFileSync } from 'node:fs';
import { get } from 'node:https';

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
const tls = Boolean(process.env.STRATUS_HTTP_TLS_CERT_FILE);
const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/livez`;

/** The status and body of a GET of an https URL, the certificate not checked. */
function httpsGet(target) {
  return new Promise((resolve, reject) => {
    const request = get(target, { rejectUnauthorized: false, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text: body }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

try {
  const response = tls ? await httpsGet(url) : await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(async (r) => ({ status: r.status, text: await r.text() }));
  if (response.status !== 200) {
    console.error(`${url}: ${response.status} ${response.text.trim()}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`${url}: ${e.message}`);
  process.exit(1);
}
