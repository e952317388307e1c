// Request and response frames: header + body, with the 4-byte size prefix on the way
// out. The framing layer (the broker's socket reader) strips the prefix on the way in
// and hands over one frame's bytes. Decoding returns values or DecodeErrors; it never
// throws and never interprets Kafka error codes.

import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import type { WriterOptions } from '../primitives/writer.ts';
import { DecodeError } from '../primitives/decode-error.ts';
import type { Decoded } from '../primitives/decode-error.ts';
import type { Input } from '../schema/compile.ts';
import { RequestHeaderSpec } from '../generated/index.ts';
import type { RequestHeader as GeneratedRequestHeader, RequestTypes, ResponseTypes } from '../generated/index.ts';
import { codecFor, apiSpec, messageCodec } from './codecs.ts';
import { requestHeaderVersion, responseHeaderVersion } from './headers.ts';

export type ApiKeyNumber = keyof RequestTypes & number;

export interface ParsedRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export interface DecodedRequestHeader {
  readonly header: ParsedRequestHeader;
  /** Offset in the frame where the body starts. */
  readonly bodyOffset: number;
  /** False when the codec has no schema for this API key and version. */
  readonly known: boolean;
}

function guard<T>(run: () => T): Decoded<T> {
  try {
    return { ok: true, value: run() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    // A bug in the codec, not bad input: still returned as a value so no connection dies of it.
    return { ok: false, error: new DecodeError('invalid_value', `decoder failure: ${(e as Error).message}`, 0) };
  }
}

/**
 * Decodes a request header. Unknown API keys and versions still yield the header (parsed
 * as v1, whose prefix every version shares) so the caller can answer with an error.
 */
export function decodeRequestHeader(frame: Buffer): Decoded<DecodedRequestHeader> {
  return guard(() => {
    const r = new Reader(frame);
    r.need(8, 'request header');
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const known = codecFor(apiKey, apiVersion, 'request') !== undefined;
    const hv = known ? requestHeaderVersion(apiKey, apiVersion) : 1;
    const h = messageCodec<GeneratedRequestHeader>(RequestHeaderSpec, hv).decode(r);
    return {
      header: { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId },
      bodyOffset: r.pos,
      known,
    };
  });
}

/** Decodes a request body that starts at `offset` and runs to the end of `frame`; bytes after it are an error. */
export function decodeRequestBody<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, frame: Buffer, offset: number): Decoded<RequestTypes[K]> {
  const decoded = decodeRequestBodyPrefix(apiKey, apiVersion, frame, offset);
  if (!decoded.ok) return decoded;
  const { body, trailingBytes } = decoded.value;
  if (trailingBytes !== 0) return { ok: false, error: new DecodeError('trailing_bytes', `${trailingBytes} bytes after the request body`, frame.length - trailingBytes) };
  return { ok: true, value: body };
}

export interface DecodedRequestBody<T> {
  readonly body: T;
  /** Bytes after the body that the schema does not cover. */
  readonly trailingBytes: number;
}

/**
 * Decodes a request body that starts at `offset` and reports, rather than rejects, bytes
 * after it. A broker wants this: Kafka parses what the schema describes and ignores the
 * rest of the frame, and some clients (librdkafka 2.15+ on Metadata v9+) send extra bytes.
 */
export function decodeRequestBodyPrefix<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
  offset: number,
): Decoded<DecodedRequestBody<RequestTypes[K]>> {
  return guard(() => {
    const codec = codecFor(apiKey, apiVersion, 'request');
    if (codec === undefined) {
      const kind = apiSpec(apiKey) === undefined ? 'unknown_api' : 'unknown_version';
      throw new DecodeError(kind, `no request schema for API ${apiKey} v${apiVersion}`, 0);
    }
    const r = new Reader(frame, offset);
    const body = codec.decode(r) as RequestTypes[K];
    return { body, trailingBytes: r.remaining };
  });
}

/**
 * Encodes a response frame (size prefix, header, body) as chunks for writev. Large byte
 * fields (record batches) are referenced, not copied. Throws EncodeError for values the
 * schema cannot carry (a bug in the caller) and RangeError for an unknown API version.
 */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: Input<ResponseTypes[K]>,
  options?: WriterOptions,
): Buffer[] {
  const codec = codecFor(apiKey, apiVersion, 'response');
  if (codec === undefined) throw new RangeError(`no response schema for API ${apiKey} v${apiVersion}`);
  const w = new Writer(options);
  const setSize = w.reserveInt32();
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.uvarint(0); // no tagged fields
  codec.encode(w, body);
  setSize(w.length - 4);
  return w.finish();
}

/** Encodes a request frame with its size prefix (clients, tools and tests). */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: Input<RequestTypes[K]>,
): Buffer {
  const codec = codecFor(apiKey, apiVersion, 'request');
  if (codec === undefined) throw new RangeError(`no request schema for API ${apiKey} v${apiVersion}`);
  const w = new Writer();
  const setSize = w.reserveInt32();
  const header = messageCodec<GeneratedRequestHeader>(RequestHeaderSpec, requestHeaderVersion(apiKey, apiVersion));
  header.encode(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId });
  codec.encode(w, body);
  setSize(w.length - 4);
  return w.toBuffer();
}

export interface DecodedResponse<T> {
  readonly correlationId: number;
  readonly body: T;
}

/** Decodes a response frame (without its size prefix). */
export function decodeResponse<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, frame: Buffer): Decoded<DecodedResponse<ResponseTypes[K]>> {
  return guard(() => {
    const codec = codecFor(apiKey, apiVersion, 'response');
    if (codec === undefined) throw new DecodeError('unknown_version', `no response schema for API ${apiKey} v${apiVersion}`, 0);
    const r = new Reader(frame);
    const correlationId = r.int32();
    if (responseHeaderVersion(apiKey, apiVersion) >= 1) {
      const tags = r.uvarint();
      for (let i = 0; i < tags; i++) {
        r.uvarint();
        r.skip(r.uvarint(), 'header tagged field');
      }
    }
    const body = codec.decode(r) as ResponseTypes[K];
    if (r.remaining !== 0) throw new DecodeError('trailing_bytes', `${r.remaining} bytes after the response body`, r.pos);
    return { correlationId, body };
  });
}
