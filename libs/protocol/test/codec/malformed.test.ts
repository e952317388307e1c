// Malformed input: every kind of bad frame yields a typed DecodeError as a value — no
// exception escapes, and no length read from the wire causes a large allocation.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRequestBody, decodeRequestBodyPrefix, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../src/api/frames.ts';
import type { ApiKeyNumber } from '../../src/api/frames.ts';
import { Reader } from '../../src/primitives/reader.ts';
import { DecodeError } from '../../src/primitives/decode-error.ts';
import { ApiKey, apiSpecs } from '../../src/generated/index.ts';
import { messageArb } from '../support/arbitrary.ts';

/** Decodes a whole request frame (no size prefix); returns the error kind or 'ok'. */
function decodeFrame(frame: Buffer): string {
  const h = decodeRequestHeader(frame);
  if (!h.ok) return h.error.kind;
  if (!h.value.known) return 'unknown';
  const b = decodeRequestBody(h.value.header.apiKey as ApiKeyNumber, h.value.header.apiVersion, frame, h.value.bodyOffset);
  return b.ok ? 'ok' : b.error.kind;
}

function metadataRequest(version: number, topics: string[]): Buffer {
  return encodeRequest(ApiKey.Metadata, version, 1, 'test', { topics: topics.map((name) => ({ name })) }).subarray(4);
}

describe('malformed request frames', () => {
  it('reports every truncation of valid frames as truncated, never throwing', () => {
    const samples = [
      metadataRequest(1, ['alpha', 'beta']),
      metadataRequest(12, ['alpha']),
      encodeRequest(ApiKey.Produce, 9, 2, 'p', { acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(70, 1) }] }] }).subarray(4),
      encodeRequest(ApiKey.ApiVersions, 3, 3, 'c', { clientSoftwareName: 'n', clientSoftwareVersion: 'v' }).subarray(4),
    ];
    for (const frame of samples) {
      expect(decodeFrame(frame)).toBe('ok');
      for (let len = 0; len < frame.length; len++) {
        expect(decodeFrame(frame.subarray(0, len)), `length ${len}`).toMatch(/^(truncated|invalid_length)$/);
      }
    }
  });

  it('rejects negative array and string lengths', () => {
    const frame = metadataRequest(1, ['a']);
    const topicsAt = frame.length - 4 - 2 - 1; // int32 count, int16 len, 'a'
    const bad = Buffer.from(frame);
    bad.writeInt32BE(-5, topicsAt);
    expect(decodeFrame(bad)).toBe('invalid_length');
    const badString = Buffer.from(frame);
    badString.writeInt16BE(-7, topicsAt + 4);
    expect(decodeFrame(badString)).toBe('invalid_length');
  });

  it('rejects huge counts before allocating', () => {
    const frame = metadataRequest(1, ['a']);
    const bad = Buffer.from(frame);
    bad.writeInt32BE(0x7fffffff, frame.length - 7);
    const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
    expect(decodeFrame(bad)).toBe('invalid_length');
    // Honouring the count would need gigabytes; a rejected count allocates next to nothing.
    expect(process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('rejects a compact array count larger than the input', () => {
    // Metadata v12 body: topics compact array. Replace the body with a 5-byte varint count.
    const frame = metadataRequest(12, []);
    const h = decodeRequestHeader(frame);
    expect(h.ok).toBe(true);
    const bodyAt = h.ok ? h.value.bodyOffset : 0;
    const body = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0, 0, 0]);
    const bad = Buffer.concat([frame.subarray(0, bodyAt), body]);
    expect(decodeFrame(bad)).toBe('invalid_length');
  });

  it('rejects varints that run past 5 bytes', () => {
    const frame = metadataRequest(12, []);
    const h = decodeRequestHeader(frame);
    const bodyAt = h.ok ? h.value.bodyOffset : 0;
    const bad = Buffer.concat([frame.subarray(0, bodyAt), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0])]);
    expect(decodeFrame(bad)).toBe('invalid_varint');
  });

  it('reports unknown API keys and versions, still returning the header', () => {
    const frame = Buffer.from(metadataRequest(1, ['a']));
    frame.writeInt16BE(999, 0);
    const h = decodeRequestHeader(frame);
    expect(h.ok && h.value.known).toBe(false);
    expect(h.ok && h.value.header.correlationId).toBe(1);
    expect(h.ok && h.value.header.clientId).toBe('test');
    const body = decodeRequestBody(999 as ApiKeyNumber, 0, frame, 0);
    expect(body.ok ? 'ok' : body.error.kind).toBe('unknown_api');

    frame.writeInt16BE(ApiKey.Metadata, 0);
    frame.writeInt16BE(99, 2);
    const v = decodeRequestHeader(frame);
    expect(v.ok && v.value.known).toBe(false);
    const vb = decodeRequestBody(ApiKey.Metadata, 99, frame, 0);
    expect(vb.ok ? 'ok' : vb.error.kind).toBe('unknown_version');
  });

  it('reports bytes after the body', () => {
    const frame = Buffer.concat([metadataRequest(1, ['a']), Buffer.from([0])]);
    expect(decodeFrame(frame)).toBe('trailing_bytes');
  });

  it('decodes the body and counts the bytes after it when asked to tolerate them', () => {
    const frame = Buffer.concat([metadataRequest(1, ['a']), Buffer.from([0, 1, 2])]);
    const h = decodeRequestHeader(frame);
    if (!h.ok) throw h.error;
    const b = decodeRequestBodyPrefix(ApiKey.Metadata, 1, frame, h.value.bodyOffset);
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.value.trailingBytes).toBe(3);
    expect(b.value.body.topics?.map((t) => t.name)).toEqual(['a']);
  });

  it('rejects int64 values JavaScript numbers cannot hold exactly', () => {
    const r = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(() => r.int64()).toThrow(DecodeError);
    const ok = new Reader(Buffer.from([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(ok.int64()).toBe(Number.MAX_SAFE_INTEGER);
    const neg = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(neg.int64()).toBe(-1);
  });

  it('never throws on randomly mutated frames of any API', () => {
    const apis = [...apiSpecs.values()];
    const frameArb = fc
      .constantFrom(...apis)
      .chain((api) => fc.integer({ min: api.request.valid[0], max: api.request.valid[1] }).chain((v) => messageArb(api.request, v).map((body) => ({ api, v, body }))))
      .map(({ api, v, body }) => encodeRequest(api.apiKey as ApiKeyNumber, v, 1, 'fuzz', body as never).subarray(4));
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(frameArb, mutation, fc.nat(), (frame, edits, cut) => {
        const bad = Buffer.from(frame);
        for (const [at, byte] of edits) bad[at % bad.length] = byte;
        const input = cut % 3 === 0 ? bad.subarray(0, cut % (bad.length + 1)) : bad;
        const kind = decodeFrame(input);
        expect(typeof kind).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('malformed response frames', () => {
  it('decodes its own ApiVersions v0 error answer and rejects a truncated one', () => {
    const chunks = encodeResponse(ApiKey.ApiVersions, 0, 9, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] });
    const frame = Buffer.concat(chunks).subarray(4);
    const ok = decodeResponse(ApiKey.ApiVersions, 0, frame);
    expect(ok.ok && ok.value.body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    const cut = decodeResponse(ApiKey.ApiVersions, 0, frame.subarray(0, frame.length - 1));
    expect(cut.ok ? 'ok' : cut.error.kind).toMatch(/^(truncated|invalid_length)$/);
  });
});
