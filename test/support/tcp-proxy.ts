// A TCP proxy for fault injection in tests: put it between a process and a dependency
// (Stratus and MinIO) and take the dependency "down" (every connection cut, new ones
// refused), bring it back, or slow every chunk down — without touching either side.
// Used by the object-store outage tests and the chaos campaign.

import net from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private isDown = false;
  /** Added before each chunk is passed on, both directions (0: none). */
  latencyMs = 0;
  /** Connections accepted and refused so far. */
  accepted = 0;
  refused = 0;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    // The server needs the proxy for its connections, the proxy needs the server's port.
    const holder: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => holder.proxy!.connect(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return holder.proxy;
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Cuts every open connection and refuses new ones until up(). */
  takeDown(): void {
    this.isDown = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  bringUp(): void {
    this.isDown = false;
  }

  async close(): Promise<void> {
    this.takeDown();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: Socket, host: string, port: number): void {
    client.on('error', () => undefined);
    if (this.isDown) {
      this.refused++;
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(port, host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /**
   * Passes chunks on in order, each after `latencyMs` when set. A chunk never overtakes one
   * still delayed: when the latency drops to 0, chunks queue behind the delayed ones until
   * those are out (else the byte stream would be reordered and the other side would read
   * garbage: the chaos campaign drops the latency to 0 in the middle of live connections).
   */
  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    let delayed = 0;
    from.on('data', (chunk: Buffer) => {
      const delay = this.latencyMs;
      if (delay <= 0 && delayed === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      delayed++;
      chain = chain
        .then(() => (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : undefined))
        .then(() => {
          delayed--;
          if (!to.destroyed) to.write(chunk);
        });
    });
    from.on('end', () => void chain.then(() => to.end()));
  }
}
