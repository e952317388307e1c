// The HTTP port: /livez (the process runs and has met no fatal error), /readyz (it serves Kafka traffic) and
// /metrics (Prometheus text); on a process that runs the controller, the admin REST API under its prefix
// (/api/v1/, any method: rest/admin-api.ts). Anything else is 404. Bound to the configured host only.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpProbes {
  /** Undefined when the process serves Kafka traffic; otherwise why not (/readyz answers 503 with it). */
  notReady(): string | undefined;
  /** Undefined while the process is healthy; after a fatal error, why it is not (then /livez fails). */
  live?(): string | undefined;
  /** Prometheus text exposition and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Serves every request whose path is `prefix` or below it (the admin REST API); absent: those are 404 too. */
  api?: { readonly prefix: string; handle(req: IncomingMessage, res: ServerResponse): void };
}

export async function startHttp(host: string, port: number, probes: HttpProbes): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const api = probes.api;
    if (api !== undefined && (path === api.prefix || path.startsWith(`${api.prefix}/`))) {
      api.handle(req, res);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/livez') {
      const problem = probes.live?.();
      if (problem === undefined) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not live: ${problem}\n`);
    } else if (path === '/readyz') {
      const problem = probes.notReady();
      if (problem === undefined) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${problem}\n`);
    } else if (path === '/metrics') {
      probes.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(e)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
