// An HTTP proxy in front of MinIO that makes it answer like a distant S3: every PUT (and
// multipart POST) is answered only after a latency drawn uniformly from [minMs, maxMs]
// by a seeded generator, so a run can be repeated with the same draws; other requests
// (GET, HEAD, LIST, DELETE) pass at once unless `otherMs` says otherwise. Loopback MinIO
// answers a PUT in a few milliseconds; S3 Standard takes tens (its published first-byte
// latency is 100-200 ms for small objects at p99), which is what the produce latency of
// an object-durable topic is made of.
//
// The request is forwarded as it came, Host header included: SigV4 signs the host the
// client used, and MinIO checks the signature against the Host it receives.
// The benchmark's cluster figures use it (test/bench/cluster/), not the product.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from '../fuzz/support/rng.ts';

export interface S3LatencyProxyOptions {
  readonly targetPort: number;
  readonly targetHost?: string;
  /** Uniform PUT latency bounds, ms (inclusive). */
  readonly minMs: number;
  readonly maxMs: number;
  readonly seed: number;
  /** Latency added to every other request (default 0). */
  readonly otherMs?: number;
}

export class S3LatencyProxy {
  readonly port: number;
  /** The latencies drawn so far (one per PUT/POST), in order. */
  readonly drawnMs: number[] = [];
  private readonly server: http.Server;
  private readonly agent: http.Agent;

  private constructor(server: http.Server, agent: http.Agent, port: number) {
    this.server = server;
    this.agent = agent;
    this.port = port;
  }

  static async start(o: S3LatencyProxyOptions): Promise<S3LatencyProxy> {
    if (!(o.minMs >= 0) || !(o.maxMs >= o.minMs)) throw new RangeError(`S3LatencyProxy: need 0 <= minMs <= maxMs, got ${o.minMs}..${o.maxMs}`);
    const rng = new Rng(o.seed >>> 0, 0x53335f);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const holder: { proxy?: S3LatencyProxy } = {};
    const server = http.createServer((req, res) => {
      const writes = req.method === 'PUT' || req.method === 'POST';
      const delayMs = writes ? rng.int(o.minMs, o.maxMs) : (o.otherMs ?? 0);
      if (writes) holder.proxy?.drawnMs.push(delayMs);
      const upstream = http.request(
        { host: o.targetHost ?? '127.0.0.1', port: o.targetPort, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          const forward = (): void => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          };
          if (delayMs > 0) setTimeout(forward, delayMs);
          else forward();
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.on('error', () => upstream.destroy());
      req.pipe(upstream);
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.proxy = new S3LatencyProxy(server, agent, (server.address() as AddressInfo).port);
    return holder.proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }
}
