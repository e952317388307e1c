// A minimal OTLP/HTTP traces receiver for tests: a node:http server on a free port that
// accepts POST /v1/traces with a protobuf ExportTraceServiceRequest (what
// @opentelemetry/exporter-trace-otlp-proto sends), decodes it with a small reader of the
// protobuf wire format (opentelemetry-proto's trace.proto field numbers, below) and keeps
// every span. Decoding the bytes here, rather than with the exporter's own code, checks
// what actually crossed the wire.

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** SpanKind of the proto: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private readonly server: Server;
  readonly port: number;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(): Promise<OtlpReceiver> {
    const ref: { receiver?: OtlpReceiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        try {
          let body = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          ref.receiver!.requests++;
          ref.receiver!.spans.push(...decodeExportRequest(body));
          // An empty ExportTraceServiceResponse: everything accepted.
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0));
        } catch (e) {
          res.writeHead(400).end(String(e));
        }
      });
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    const receiver = new OtlpReceiver(server, port);
    ref.receiver = receiver;
    return receiver;
  }

  /** The base URL to give as tracing.otlpEndpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Waits until `predicate` holds over the spans received so far. */
  async waitFor(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.spans)) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; received ${this.spans.length} spans: ${[...new Set(this.spans.map((s) => `${s.service}:${s.name}`))].join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// --- the protobuf wire format --------------------------------------------------------------

interface Field {
  readonly no: number;
  /** varint as bigint, LEN as bytes, I64 / I32 as their 8 / 4 bytes. */
  readonly value: bigint | Buffer;
  readonly wire: number;
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated length-delimited field');
      out.push({ no, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (f: Field): Buffer => f.value as Buffer;

/** AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4. */
function anyValue(buf: Buffer): AttributeValue {
  for (const f of fields(buf)) {
    if (f.no === 1) return bytesOf(f).toString('utf8');
    if (f.no === 2) return f.value !== 0n;
    if (f.no === 3) return Number(BigInt.asIntN(64, f.value as bigint));
    if (f.no === 4) return bytesOf(f).readDoubleLE(0);
  }
  return '';
}

/** repeated KeyValue (key 1, value 2). */
function attributes(kvs: readonly Buffer[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of kvs) {
    let key = '';
    let value: AttributeValue = '';
    for (const f of fields(kv)) {
      if (f.no === 1) key = bytesOf(f).toString('utf8');
      else if (f.no === 2) value = anyValue(bytesOf(f));
    }
    out[key] = value;
  }
  return out;
}

/** ExportTraceServiceRequest → ResourceSpans (1) → resource (1) / ScopeSpans (2) → spans (2). */
export function decodeExportRequest(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of fields(body).filter((f) => f.no === 1)) {
    const rsFields = fields(bytesOf(rs));
    const resource = rsFields.find((f) => f.no === 1);
    const resourceAttributes = resource === undefined ? {} : attributes(fields(bytesOf(resource)).filter((f) => f.no === 1).map(bytesOf));
    const service = String(resourceAttributes['service.name'] ?? '');
    for (const ss of rsFields.filter((f) => f.no === 2)) {
      for (const sp of fields(bytesOf(ss)).filter((f) => f.no === 2)) {
        // Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9, status 15 (code 3).
        const sf = fields(bytesOf(sp));
        const one = (no: number): Field | undefined => sf.find((f) => f.no === no);
        const status = one(15);
        const code = status === undefined ? undefined : fields(bytesOf(status)).find((f) => f.no === 3);
        spans.push({
          service,
          traceId: bytesOf(one(1)!).toString('hex'),
          spanId: bytesOf(one(2)!).toString('hex'),
          parentSpanId: one(4) === undefined ? '' : bytesOf(one(4)!).toString('hex'),
          name: one(5) === undefined ? '' : bytesOf(one(5)!).toString('utf8'),
          kind: one(6) === undefined ? 0 : Number(one(6)!.value as bigint),
          attributes: attributes(sf.filter((f) => f.no === 9).map(bytesOf)),
          statusCode: code === undefined ? 0 : Number(code.value as bigint),
        });
      }
    }
  }
  return spans;
}
