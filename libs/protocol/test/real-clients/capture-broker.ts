// A capture broker for real-client tests: a node:net server on 127.0.0.1 (port 0) that
// frames the TCP stream, records every request (raw frame, decoded header, decoded body)
// and answers through @stratus/protocol's encoder as a minimal single-node broker would:
//
//   ApiVersions  advertised set built with ApiRegistry; an unsupported version is
//                answered as v0 with UNSUPPORTED_VERSION and the apiKeys (Kafka's rule)
//   Metadata     one broker (this server, nodeId 1); every requested topic exists with
//                one partition led by node 1, leaderEpoch 0, and a stable topicId
//   Produce      success, baseOffset = records appended so far to the partition;
//                acks=0 gets no response
//   InitProducerId  producerId 1000, epoch 0
//
// Fetch, ListOffsets and FindCoordinator are advertised (clients enable features from
// the advertised set) but not served. Anything the broker cannot decode, encode or
// serve is recorded in `errors` and the connection is closed: tests assert that
// `errors` is empty, so a codec mismatch fails loudly instead of hanging a client.

import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { ApiKey, ApiRegistry, ErrorCode, decodeRequestBody, decodeRequestHeader, encodeResponse } from '@stratus/protocol';
import type { ApiKeyNumber, Input, ParsedRequestHeader, RequestTypes, ResponseTypes, VersionRange } from '@stratus/protocol';

export const MAX_FRAME_BYTES = 100 * 1024 * 1024;
export const NODE_ID = 1;
export const PRODUCER_ID = 1000;

export interface CapturedRequest {
  /** Sequence number of the TCP connection the request came on (0, 1, ...). */
  readonly connection: number;
  /** The frame without its 4-byte size prefix. */
  readonly raw: Buffer;
  readonly header: ParsedRequestHeader;
  readonly bodyOffset: number;
  /** The decoded body; undefined when the version was not accepted (see the ApiVersions rule). */
  readonly body: unknown;
}

interface Served {
  readonly body: unknown;
  /** Response chunks, or null for no response (Produce with acks=0). */
  readonly response: Buffer[] | null;
}

/** One API's decode → handle → encode step, typed by its key inside and erased outside. */
type Step = (frame: Buffer, header: ParsedRequestHeader, bodyOffset: number) => Served;

function step<K extends ApiKeyNumber>(
  apiKey: K,
  handle: (body: RequestTypes[K], header: ParsedRequestHeader) => Input<ResponseTypes[K]> | null,
): Step {
  return (frame, header, bodyOffset) => {
    const decoded = decodeRequestBody(apiKey, header.apiVersion, frame, bodyOffset);
    if (!decoded.ok) throw new Error(`body of API ${apiKey} v${header.apiVersion} does not decode: ${decoded.error.message}`);
    const reply = handle(decoded.value, header);
    const response = reply === null ? null : encodeResponse(apiKey, header.apiVersion, header.correlationId, reply);
    return { body: decoded.value, response };
  };
}

function notServed(name: string): Step {
  return (_frame, header) => {
    throw new Error(`${name} v${header.apiVersion} is advertised but not served by the capture broker`);
  };
}

/** Kafka's textual topic id (URL-safe base64 of 16 bytes), derived from the name. */
export function topicIdFor(name: string): string {
  return createHash('sha256').update(name).digest().subarray(0, 16).toString('base64url');
}

/** Number of records in a buffer of RecordBatch v2 batches (the recordsCount fields). */
function countRecords(records: Buffer | null): number {
  let count = 0;
  let pos = 0;
  while (records !== null && records.length - pos >= 61) {
    count += records.readInt32BE(pos + 57);
    pos += 12 + Math.max(49, records.readInt32BE(pos + 8));
  }
  return count;
}

export class CaptureBroker {
  readonly requests: CapturedRequest[] = [];
  readonly errors: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly registry = new ApiRegistry<Step>();
  private readonly nextOffset = new Map<string, number>();
  private readonly topics = new Set<string>();
  private connections = 0;
  private readonly waiters = new Set<(r: CapturedRequest) => void>();
  port = 0;
  readonly host = '127.0.0.1';

  /** `apiVersionsMax` caps the ApiVersions versions served, to drive clients' fallback. */
  constructor(apiVersionsMax = 3) {
    this.server = createServer((socket) => this.accept(socket));
    const api = (apiKey: number, accept: VersionRange, advertise: VersionRange, s: Step): void =>
      this.registry.register({ apiKey, accept, advertise, handler: s });

    api(ApiKey.Produce, [3, 9], [0, 9], step(ApiKey.Produce, (req) => this.produce(req)));
    api(ApiKey.Fetch, [4, 12], [4, 12], notServed('Fetch'));
    api(ApiKey.ListOffsets, [1, 7], [1, 7], notServed('ListOffsets'));
    api(ApiKey.Metadata, [0, 12], [0, 12], step(ApiKey.Metadata, (req) => this.metadata(req)));
    api(ApiKey.FindCoordinator, [0, 4], [0, 4], notServed('FindCoordinator'));
    api(ApiKey.ApiVersions, [0, apiVersionsMax], [0, apiVersionsMax], step(ApiKey.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: this.registry.advertised() })));
    api(ApiKey.InitProducerId, [0, 4], [0, 4], step(ApiKey.InitProducerId, () => ({ errorCode: ErrorCode.NONE, producerId: PRODUCER_ID, producerEpoch: 0 })));
  }

  /** Starts listening on 127.0.0.1 with an ephemeral port. */
  static async start(options: { apiVersionsMax?: number } = {}): Promise<CaptureBroker> {
    const broker = new CaptureBroker(options.apiVersionsMax);
    await new Promise<void>((resolve, reject) => {
      broker.server.once('error', reject);
      broker.server.listen(0, broker.host, () => resolve());
    });
    broker.port = (broker.server.address() as AddressInfo).port;
    return broker;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** The captured requests of one API, with their bodies typed. */
  requestsOf<K extends ApiKeyNumber>(apiKey: K): Array<CapturedRequest & { readonly body: RequestTypes[K] }> {
    return this.requests.filter((r): r is CapturedRequest & { body: RequestTypes[K] } => r.header.apiKey === apiKey && r.body !== undefined);
  }

  /** Resolves with the first captured request (past or future) that matches. */
  waitForRequest(match: (r: CapturedRequest) => boolean, timeoutMs = 10_000): Promise<CapturedRequest> {
    const seen = this.requests.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = (r: CapturedRequest): void => {
        if (!match(r)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching request within ${timeoutMs} ms; errors: ${JSON.stringify(this.errors)}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const connection = this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // clients hang up as they please
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && !socket.destroyed) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > MAX_FRAME_BYTES) {
          this.fail(connection, socket, `frame size ${size} is outside 0-${MAX_FRAME_BYTES}`);
          return;
        }
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size)); // own copy: kept in `requests`
        pending = pending.subarray(4 + size);
        this.serve(connection, socket, frame);
      }
    });
  }

  private serve(connection: number, socket: Socket, frame: Buffer): void {
    const h = decodeRequestHeader(frame);
    if (!h.ok) {
      this.fail(connection, socket, `request header does not decode: ${h.error.message} (frame ${frame.toString('hex')})`);
      return;
    }
    const { header, bodyOffset } = h.value;
    const s = this.registry.lookup(header.apiKey, header.apiVersion);
    if (s === undefined) {
      if (header.apiKey === ApiKey.ApiVersions) {
        // Kafka's rule: an ApiVersions version the broker does not know is answered in v0,
        // with UNSUPPORTED_VERSION and the supported apiKeys, so the client can retry lower.
        this.record({ connection, raw: frame, header, bodyOffset, body: undefined });
        const body = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: this.registry.advertised() };
        socket.write(Buffer.concat(encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, body)));
        return;
      }
      this.fail(connection, socket, `API ${header.apiKey} v${header.apiVersion} is not accepted (client ${header.clientId ?? 'null'})`);
      return;
    }
    try {
      const served = s(frame, header, bodyOffset);
      this.record({ connection, raw: frame, header, bodyOffset, body: served.body });
      if (served.response !== null) socket.write(Buffer.concat(served.response));
    } catch (e) {
      this.fail(connection, socket, `${(e as Error).message} (frame ${frame.toString('hex')})`);
    }
  }

  private record(r: CapturedRequest): void {
    this.requests.push(r);
    for (const w of [...this.waiters]) w(r);
  }

  private fail(connection: number, socket: Socket, message: string): void {
    this.errors.push(`connection ${connection}: ${message}`);
    socket.destroy();
  }

  private metadata(req: RequestTypes[typeof ApiKey.Metadata]): Input<ResponseTypes[typeof ApiKey.Metadata]> {
    for (const t of req.topics ?? []) {
      if (t.name === null) throw new Error('Metadata by topic id is not supported by the capture broker');
      this.topics.add(t.name);
    }
    const names = req.topics === null ? [...this.topics] : req.topics.map((t) => t.name ?? '');
    return {
      brokers: [{ nodeId: NODE_ID, host: this.host, port: this.port, rack: null }],
      clusterId: 'stratus-capture',
      controllerId: NODE_ID,
      topics: names.map((name) => ({
        errorCode: ErrorCode.NONE,
        name,
        topicId: topicIdFor(name),
        isInternal: false,
        partitions: [{ errorCode: ErrorCode.NONE, partitionIndex: 0, leaderId: NODE_ID, leaderEpoch: 0, replicaNodes: [NODE_ID], isrNodes: [NODE_ID], offlineReplicas: [] }],
      })),
    };
  }

  private produce(req: RequestTypes[typeof ApiKey.Produce]): Input<ResponseTypes[typeof ApiKey.Produce]> | null {
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const key = `${t.name}/${p.index}`;
        const baseOffset = this.nextOffset.get(key) ?? 0;
        this.nextOffset.set(key, baseOffset + countRecords(p.records));
        return { index: p.index, errorCode: ErrorCode.NONE, baseOffset, logStartOffset: 0 };
      }),
    }));
    return req.acks === 0 ? null : { responses };
  }
}
