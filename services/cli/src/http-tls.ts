// The HTTP port over https (http.tls): the same PEM files as a Kafka listener's TLS,
// followed as cert-manager rotates them (ReloadingTlsContext checks a changed set loads,
// then the server takes it for new connections), and client certificates as Kafka's
// ssl.client.auth says — with one difference: the handshake only *asks* for a certificate,
// and the paths decide. /livez and /readyz answer without one, because Kubernetes' probes
// (scheme: HTTPS) present none and verify nothing; every other path (/metrics, the admin
// REST API) answers 401 to a client without a certificate from caFile when clientAuth is
// `required`, and to one whose certificate does not verify when it is `requested`.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, RequestListener, Server } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ReloadingTlsContext } from '@stratus/broker';
import type { ServedCertificate } from '@stratus/broker';

export type HttpClientAuth = 'none' | 'requested' | 'required';

export interface HttpTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA client certificates must chain to (clientAuth requested or required). */
  readonly caFile?: string | undefined;
  readonly clientAuth: HttpClientAuth;
  /** How often the files are checked for a change; 0 never. */
  readonly reloadInterval: number;
}

export interface HttpTlsEvents {
  readonly onReload?: (served: ServedCertificate) => void;
  readonly onReloadFailed?: (error: Error) => void;
}

/** Paths that answer without a client certificate: what a kubelet's probe asks. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz']);

/** An https server whose certificate follows its files; closing it stops following them. */
export function createHttpsServer(tls: HttpTlsOptions, handler: RequestListener, events: HttpTlsEvents = {}): Server {
  if (tls.clientAuth !== 'none' && tls.caFile === undefined) throw new RangeError(`http.tls: clientAuth ${tls.clientAuth} needs caFile`);
  const read = (): { cert: Buffer; key: Buffer; ca?: Buffer } => ({
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.caFile !== undefined ? { ca: readFileSync(tls.caFile) } : {}),
  });
  const server = createServer(
    {
      ...read(),
      minVersion: 'TLSv1.2',
      requestCert: tls.clientAuth !== 'none',
      // Refused per path instead (see above), so that probes without a certificate get through.
      rejectUnauthorized: false,
    },
    (req, res) => {
      const refused = clientRefusal(tls.clientAuth, req);
      if (refused === null) handler(req, res);
      else res.writeHead(401, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(`${refused}\n`);
    },
  ) as unknown as Server;
  const context = new ReloadingTlsContext({
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    caFile: tls.caFile,
    reloadIntervalMs: tls.reloadInterval,
    onReload: (served) => {
      // The set just loaded (the key matches the certificate): new connections get it.
      (server as unknown as { setSecureContext(o: object): void }).setSecureContext({ ...read(), minVersion: 'TLSv1.2' });
      events.onReload?.(served);
    },
    ...(events.onReloadFailed !== undefined ? { onReloadFailed: events.onReloadFailed } : {}),
  });
  server.on('close', () => context.close());
  return server;
}

/** Why this request is refused for its client certificate, or null. */
export function clientRefusal(clientAuth: HttpClientAuth, req: IncomingMessage): string | null {
  if (clientAuth === 'none') return null;
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  if (PROBE_PATHS.has(path)) return null;
  const socket = req.socket as TLSSocket;
  if (socket.authorized) return null;
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if (!presented && clientAuth === 'requested') return null;
  return presented ? `client certificate refused: ${String(socket.authorizationError)}` : 'a client certificate is required (http.tls.clientAuth)';
}

/** The http.tls settings (config/schema.ts). */
export interface HttpTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string | undefined;
  readonly clientAuth?: HttpClientAuth | undefined;
  readonly reloadInterval?: number | undefined;
}

export const DEFAULT_HTTP_TLS_RELOAD_INTERVAL_MS = 30_000;

/** http.tls as startHttp takes it, with its reloads logged; undefined when it is not set (plain http). */
export function httpTlsOf(tls: HttpTlsConfig | undefined, log: { info(o: object, m: string): void; warn(o: object, m: string): void }): (HttpTlsOptions & HttpTlsEvents) | undefined {
  if (tls === undefined) return undefined;
  return {
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    caFile: tls.caFile,
    clientAuth: tls.clientAuth ?? 'none',
    reloadInterval: tls.reloadInterval ?? DEFAULT_HTTP_TLS_RELOAD_INTERVAL_MS,
    onReload: (served) => log.info({ certificate: served }, `http: TLS certificate reloaded from ${tls.certFile} (serial ${served.serialNumber}, valid to ${served.validTo})`),
    onReloadFailed: (err) => log.warn({ err: err.message }, `http: the changed TLS files do not load (${err.message}); still serving the previous certificate`),
  };
}
