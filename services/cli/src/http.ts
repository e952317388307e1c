// The HTTP port: /livez (the process can make progress: no fatal error, the event loop turns), /readyz (it
// does its job: serves Kafka traffic, or is a controller that can), each a list of named checks
// (health/checks.ts; `?verbose` lists every check and its state), and /metrics (Prometheus text); on a
// process that runs the controller, the admin REST API under its prefix (/api/v1/, any method:
// rest/admin-api.ts). Anything else is 404. Bound to the configured host only. What each process checks
// is in health/*-health.ts and docs/operations.md (Health). With http.tls it is https (http-tls.ts): probes
// keep working without a client certificate, the rest may require one.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeBody, runChecks } from './health/checks.ts';
import { createHttpsServer } from './http-tls.ts';
import type { HttpTlsEvents, HttpTlsOptions } from './http-tls.ts';
import type { HealthCheck } from './health/checks.ts';

export interface HttpProbes {
  /** /readyz: 200 when every one passes, else 503 with each failing one's reason. */
  readonly readiness: readonly HealthCheck[];
  /** /livez: only conditions a restart fixes (never a dependency being down: a restart would not bring it back). */
  readonly liveness: readonly HealthCheck[];
  /** Prometheus text exposition and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Serves every request whose path is `prefix` or below it (the admin REST API); absent: those are 404 too. */
  api?: { readonly prefix: string; handle(req: IncomingMessage, res: ServerResponse): void };
}

export async function startHttp(host: string, port: number, probes: HttpProbes, tls?: HttpTlsOptions & HttpTlsEvents): Promise<{ server: Server; port: number }> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const api = probes.api;
    if (api !== undefined && (path === api.prefix || path.startsWith(`${api.prefix}/`))) {
      api.handle(req, res);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/livez' || path === '/readyz') {
      const probe = path === '/livez' ? 'livez' : 'readyz';
      const verbose = new URLSearchParams(query).has('verbose');
      const { ok, body } = probeBody(probe, runChecks(probe === 'livez' ? probes.liveness : probes.readiness), verbose);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(body);
    } else if (path === '/metrics') {
      probes.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(e)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
  const server = tls === undefined ? createServer(handler) : createHttpsServer(tls, handler, tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
