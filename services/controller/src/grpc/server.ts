// Serves any ControllerApi over gRPC (the ControllerService of proto/) with @grpc/grpc-js
// — with the generated code and client.ts, the only place that imports it. Adds the
// standard grpc.health.v1 service, optional TLS (mTLS when a CA is given and client
// certificates are required), explicit limits, and a shutdown that lets calls finish
// until a deadline before cutting them.
//
// Errors: Kafka per-item errors are inside the responses (service.ts). What the API
// throws becomes a status here (statusOf): the commit contract's refusals
// FAILED_PRECONDITION with a `stratus-error` trailer naming which, bad requests
// INVALID_ARGUMENT, a closed or failed controller and store I/O UNAVAILABLE, anything
// else INTERNAL (and reported through onError: it is a bug). A failing call never
// affects another: every handler catches its own errors.

import { Metadata, Server, ServerCredentials, experimental, status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, StatusObject } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { CommitRefusedError, CommitTooLateError } from '@stratus/partition-index';
import { currentTracing } from '@stratus/runtime';
import type { Tracing } from '@stratus/runtime';
import type { ClusterMetadata, ControllerApi } from '../controller-api.ts';
import { ControllerClosedError, ControllerFailedError } from '../errors.ts';
import { MetadataStoreError } from '../store/metadata-store.ts';
import { toClusterMetadata } from './convert.ts';
import { ERROR_KIND_TRAILER, ErrorKind, WireFormatError } from './errors.ts';
import { ACTIVE_CONTROLLER_TRAILER, NOT_ACTIVE_KIND, NotActiveControllerError } from './redirect.ts';
import { ControllerServiceService } from './generated/stratus/controller/v1/controller.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';
import { controllerService } from './service.ts';
import { startServerSpan } from './tracing.ts';
import { allowedPrincipalsInterceptor } from './tls-principals.ts';
import { PemFileCertificateProvider } from './tls-files.ts';
import type { PemFileWatchOptions } from './tls-files.ts';
import type { UnaryService } from './service.ts';

/** The gRPC service name health checks ask about (besides "" for the whole server). */
export const CONTROLLER_SERVICE_NAME = 'stratus.controller.v1.ControllerService';

export interface ServerTlsOptions extends PemFileWatchOptions {
  /** PEM certificate chain of the server (with keyFile and caFile, reloaded when they change: tls-files.ts). */
  readonly certFile: string;
  /** PEM private key of the server. */
  readonly keyFile: string;
  /** PEM CA bundle that client certificates are checked against (mTLS). */
  readonly caFile?: string;
  /** Refuse clients without a certificate signed by caFile. Default: true when caFile is given. */
  readonly requireClientCert?: boolean;
  /**
   * Only clients whose certificate's subject CN is one of these may call (others:
   * PERMISSION_DENIED; without a certificate: UNAUTHENTICATED). Needs caFile. Absent: any
   * certificate the CA signed.
   */
  readonly allowedPrincipals?: readonly string[];
}

export interface ControllerGrpcServerOptions {
  readonly api: ControllerApi;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port (see `port` of the started server). */
  readonly port: number;
  /** Plaintext when absent. */
  readonly tls?: ServerTlsOptions;
  /** Largest message received or sent. Default 16 MiB (a commit of maxExtentsPerCommit extents fits). */
  readonly maxMessageBytes?: number;
  /** Most concurrent calls on one connection (HTTP/2 max concurrent streams). Default 1,000. */
  readonly maxConcurrentStreams?: number;
  /** Most open Watch streams over all connections; more are refused RESOURCE_EXHAUSTED. Default 1,000. */
  readonly maxWatchers?: number;
  /** How long close() lets calls finish before cutting them. Default 5,000. */
  readonly shutdownGraceMs?: number;
  /** Smallest interval between keepalive pings the server accepts from a client. Default 5,000. */
  readonly minClientPingIntervalMs?: number;
  /** Errors that are bugs (INTERNAL answers) and watch-stream failures, for the log. */
  readonly onError?: (error: unknown, context: string) => void;
}

const MiB = 1024 * 1024;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`ControllerGrpcServer: ${name} must be a positive integer, got ${v}`);
  return v;
}

function trailer(kind: string, activeAddress: string | null = null): Metadata {
  const m = new Metadata();
  m.set(ERROR_KIND_TRAILER, kind);
  if (activeAddress !== null) m.set(ACTIVE_CONTROLLER_TRAILER, activeAddress);
  return m;
}

/** What an error thrown by the API becomes on the wire. */
export function statusOf(err: unknown): { code: status; details: string; kind: string | null; activeAddress?: string | null } {
  const message = err instanceof Error ? err.message : String(err);
  // A standby's redirect (redirect.ts): retriable, naming the active controller when known.
  if (err instanceof NotActiveControllerError) return { code: status.UNAVAILABLE, details: message, kind: NOT_ACTIVE_KIND, activeAddress: err.activeAddress };
  // CommitTooLateError first: it is a CommitRefusedError too.
  if (err instanceof CommitTooLateError) return { code: status.FAILED_PRECONDITION, details: message, kind: ErrorKind.commitTooLate };
  if (err instanceof CommitRefusedError) return { code: status.FAILED_PRECONDITION, details: message, kind: ErrorKind.commitRefused };
  if (err instanceof WireFormatError || err instanceof RangeError) return { code: status.INVALID_ARGUMENT, details: message, kind: ErrorKind.invalidArgument };
  if (err instanceof ControllerClosedError || err instanceof ControllerFailedError || err instanceof MetadataStoreError) {
    return { code: status.UNAVAILABLE, details: message, kind: ErrorKind.controllerUnavailable };
  }
  return { code: status.INTERNAL, details: `controller error: ${message}`, kind: null };
}

export class ControllerGrpcServer {
  /** The port bound (the chosen one when the options said 0). */
  readonly port: number;
  readonly host: string;
  private readonly server: Server;
  private readonly health: HealthImplementation;
  private readonly api: ControllerApi;
  private readonly maxWatchers: number;
  private readonly shutdownGraceMs: number;
  private readonly onError: (error: unknown, context: string) => void;
  private readonly watchers = new Set<ServerWritableStream<pb.WatchRequest, pb.WatchResponse>>();
  /** The TLS files being followed (closed with the server). */
  private readonly certificates: PemFileCertificateProvider | undefined;
  /** The proto form of the latest metadata, converted once per version for all watchers. */
  private converted: { version: number; metadata: pb.ClusterMetadata } | undefined;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, health: HealthImplementation, o: ControllerGrpcServerOptions, host: string, port: number, certificates: PemFileCertificateProvider | undefined) {
    this.server = server;
    this.certificates = certificates;
    this.health = health;
    this.api = o.api;
    this.host = host;
    this.port = port;
    this.maxWatchers = positive('maxWatchers', o.maxWatchers, 1000);
    this.shutdownGraceMs = positive('shutdownGraceMs', o.shutdownGraceMs, 5000);
    this.onError = o.onError ?? (() => undefined);
  }

  /** Binds, starts serving and reports SERVING to health checks. */
  static async start(o: ControllerGrpcServerOptions): Promise<ControllerGrpcServer> {
    const host = o.host ?? '127.0.0.1';
    const maxMessageBytes = positive('maxMessageBytes', o.maxMessageBytes, 16 * MiB);
    const server = new Server({
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      'grpc.max_concurrent_streams': positive('maxConcurrentStreams', o.maxConcurrentStreams, 1000),
      // Clients ping to find dead connections under long Watch streams; accept that.
      'grpc.http2.min_ping_interval_without_data_ms': positive('minClientPingIntervalMs', o.minClientPingIntervalMs, 5000),
      'grpc.keepalive_permit_without_calls': 1,
    });
    const health = new HealthImplementation({ '': 'NOT_SERVING', [CONTROLLER_SERVICE_NAME]: 'NOT_SERVING' });
    health.addToServer(server);
    const { credentials, certificates } = serverCredentials(o.tls);
    // The instance needs the port, and the handlers need the instance: bind first.
    const ref: { instance?: ControllerGrpcServer } = {};
    const unary = controllerService(o.api);
    server.addService(ControllerServiceService, {
      ...adaptUnary(unary, (err, rpc) => ref.instance?.onError(err, rpc), currentTracing()),
      watch: (call: ServerWritableStream<pb.WatchRequest, pb.WatchResponse>) => {
        if (ref.instance !== undefined) ref.instance.watch(call);
        else call.emit('error', { code: status.UNAVAILABLE, details: 'the controller server is starting' });
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${o.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    }).catch((e: unknown) => {
      certificates?.close();
      throw e;
    });
    const instance = new ControllerGrpcServer(server, health, o, host, port, certificates);
    ref.instance = instance;
    health.setStatus('', 'SERVING');
    health.setStatus(CONTROLLER_SERVICE_NAME, 'SERVING');
    return instance;
  }

  /** host:port to give clients. */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Open Watch streams. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  private metadataMessage(m: ClusterMetadata): pb.ClusterMetadata {
    if (this.converted?.version !== m.version) this.converted = { version: m.version, metadata: toClusterMetadata(m) };
    return this.converted.metadata;
  }

  /**
   * One Watch stream: the current metadata (or up_to_date), then the metadata after each
   * change. Writes follow the stream's flow control: while a write is buffered the next
   * change only marks the stream stale, and the latest metadata goes out on 'drain', so
   * a slow watcher costs one pending message, not a queue.
   */
  private watch(call: ServerWritableStream<pb.WatchRequest, pb.WatchResponse>): void {
    if (this.closing !== undefined) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'the controller server is shutting down' });
      return;
    }
    if (this.watchers.size >= this.maxWatchers) {
      call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: `too many watch streams (maxWatchers ${this.maxWatchers})` });
      return;
    }
    // A standby's API refuses metadata() (a redirect): end the stream with that status.
    try {
      this.api.metadata();
    } catch (err) {
      const s = statusOf(err);
      call.emit('error', { code: s.code, details: s.details, ...(s.kind !== null ? { metadata: trailer(s.kind, s.activeAddress ?? null) } : {}) });
      return;
    }
    this.watchers.add(call);
    let sent = -1;
    let blocked = false;
    let stale = false;
    const send = (): void => {
      const m = this.api.metadata();
      if (m.version === sent) return;
      sent = m.version;
      if (!call.write({ metadata: this.metadataMessage(m) })) blocked = true;
    };
    const onChange = (): void => {
      if (blocked) stale = true;
      else send();
    };
    const brokerId = call.request.brokerId;
    const unsubscribe = this.api.watch(onChange, brokerId !== undefined ? { brokerId } : {});
    const done = (): void => {
      unsubscribe();
      this.watchers.delete(call);
    };
    call.on('drain', () => {
      blocked = false;
      if (stale) {
        stale = false;
        send();
      }
    });
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', (err) => {
      done();
      this.onError(err, 'watch stream');
    });
    const current = this.api.metadata().version;
    if (call.request.knownVersion === current) {
      sent = current;
      if (!call.write({ upToDate: current })) blocked = true;
    } else {
      send();
    }
  }

  /**
   * Whether the controller service is served (health SERVING) or not (NOT_SERVING, while
   * the process is a standby controller; "" stays SERVING: the process is alive). Going
   * NOT_SERVING ends the Watch streams, so their clients re-subscribe and are redirected.
   */
  setServing(serving: boolean): void {
    if (this.closing !== undefined) return;
    this.health.setStatus(CONTROLLER_SERVICE_NAME, serving ? 'SERVING' : 'NOT_SERVING');
    if (serving) return;
    for (const call of this.watchers) call.end();
    this.watchers.clear();
  }

  /**
   * Stops accepting calls and reports NOT_SERVING; ends Watch streams (their clients
   * re-subscribe elsewhere or after a restart); lets unary calls finish until
   * shutdownGraceMs, then cuts what is left. Does not close the API. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.certificates?.close();
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(CONTROLLER_SERVICE_NAME, 'NOT_SERVING');
    for (const call of this.watchers) call.end();
    this.watchers.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, this.shutdownGraceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Plaintext, or TLS whose files are followed (tls-files.ts): a connection accepted after
 * cert-manager rotates them gets the new certificate and CA. With allowedPrincipals, an
 * interceptor checks every call's client certificate (tls-principals.ts).
 */
function serverCredentials(tls: ServerTlsOptions | undefined): { credentials: ServerCredentials; certificates?: PemFileCertificateProvider } {
  if (tls === undefined) return { credentials: ServerCredentials.createInsecure() };
  const requireClientCert = tls.requireClientCert ?? tls.caFile !== undefined;
  if (requireClientCert && tls.caFile === undefined) throw new RangeError('ControllerGrpcServer: tls.requireClientCert needs tls.caFile to check client certificates against');
  if (tls.allowedPrincipals !== undefined && tls.caFile === undefined) throw new RangeError('ControllerGrpcServer: tls.allowedPrincipals needs tls.caFile to check client certificates against');
  const certificates = new PemFileCertificateProvider(tls, tls);
  // (identity provider, CA provider or null, require a client certificate)
  const tlsCredentials = experimental.createCertificateProviderServerCredentials(certificates, tls.caFile !== undefined ? certificates : null, requireClientCert);
  const credentials = tls.allowedPrincipals === undefined ? tlsCredentials : experimental.createServerCredentialsWithInterceptors(tlsCredentials, [allowedPrincipalsInterceptor(tls.allowedPrincipals)]);
  return { credentials, certificates };
}

/** grpc-js unary handlers from service.ts's async functions: results to the callback, errors to statuses. */
function adaptUnary(service: UnaryService, onInternal: (err: unknown, rpc: string) => void, tracing: Tracing | undefined) {
  const handlers: Record<string, (call: ServerUnaryCall<never, unknown>, callback: sendUnaryData<unknown>) => void> = {};
  for (const [rpc, fn] of Object.entries(service) as [string, (req: unknown) => Promise<unknown>][]) {
    handlers[rpc] = (call, callback) => {
      // With tracing on: a span continuing the caller's trace (its metadata's traceparent), active while the API works.
      const span = tracing === undefined ? undefined : startServerSpan(tracing, rpc, call.metadata);
      const invoke = (): Promise<unknown> => {
        try {
          return fn(call.request);
        } catch (err) {
          return Promise.reject(err);
        }
      };
      const result = span === undefined || tracing === undefined ? invoke() : tracing.run(span, invoke);
      result.then(
        (response) => {
          if (span !== undefined) tracing?.end(span);
          callback(null, response);
        },
        (err: unknown) => {
          const s = statusOf(err);
          if (span !== undefined) {
            span.setAttribute('rpc.grpc.status_code', s.code);
            tracing?.end(span, err);
          }
          if (s.code === status.INTERNAL) onInternal(err, rpc);
          const error: Partial<StatusObject> = { code: s.code, details: s.details, ...(s.kind !== null ? { metadata: trailer(s.kind, s.activeAddress ?? null) } : {}) };
          callback(error, null);
        },
      );
    };
  }
  return handlers;
}
