// Property-based round trips for every generated message at every version:
// random valid value → encode → decode → equal, and encode(decode(bytes)) == bytes.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileMessage } from '../../src/schema/compile.ts';
import { Reader } from '../../src/primitives/reader.ts';
import { Writer } from '../../src/primitives/writer.ts';
import type { MessageSpec } from '../../src/schema/spec.ts';
import { apiSpecs, RequestHeaderSpec, ResponseHeaderSpec, ConsumerProtocolAssignmentSpec, ConsumerProtocolSubscriptionSpec } from '../../src/generated/index.ts';
import { messageArb, versionsOf } from '../support/arbitrary.ts';

const RUNS = 25;

function encode(spec: MessageSpec, version: number, value: unknown): Buffer {
  const w = new Writer({ zeroCopyMinBytes: 8 }); // exercise the zero-copy chunk path too
  compileMessage(spec, version).encode(w, value as never);
  return w.toBuffer();
}

function decode(spec: MessageSpec, version: number, bytes: Buffer): { value: unknown; rest: number } {
  const r = new Reader(bytes);
  const value = compileMessage(spec, version).decode(r);
  return { value, rest: r.remaining };
}

const specs: MessageSpec[] = [
  ...[...apiSpecs.values()].flatMap((a) => [a.request, a.response]),
  RequestHeaderSpec,
  ResponseHeaderSpec,
  ConsumerProtocolAssignmentSpec,
  ConsumerProtocolSubscriptionSpec,
];

describe('generated codec round trips', () => {
  it('covers every API of the compatibility table', () => {
    const keys = new Set(apiSpecs.keys());
    for (const k of [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 32, 33, 36, 37, 42, 44, 47, 60]) {
      expect(keys.has(k), `API ${k}`).toBe(true);
    }
  });

  for (const spec of specs) {
    it(`${spec.name} v${spec.valid[0]}-${spec.valid[1]}`, () => {
      for (const version of versionsOf(spec)) {
        fc.assert(
          fc.property(messageArb(spec, version), (value) => {
            const bytes = encode(spec, version, value);
            const back = decode(spec, version, bytes);
            expect(back.rest).toBe(0);
            expect(back.value).toEqual(value);
            expect(encode(spec, version, back.value).equals(bytes)).toBe(true);
          }),
          { numRuns: RUNS },
        );
      }
    });
  }
});

describe('tagged fields', () => {
  const fetch = apiSpecs.get(1)!.response;

  it('writes a tagged field only when it differs from its default', () => {
    const base = { responses: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 0, records: null }] }] };
    const plain = encode(fetch, 12, base);
    const withLeader = encode(fetch, 12, {
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records: null, currentLeader: { leaderId: 3, leaderEpoch: 7 } }] }],
    });
    expect(withLeader.length).toBeGreaterThan(plain.length + 1);
    const back = decode(fetch, 12, withLeader).value as { responses: { partitions: { currentLeader: unknown }[] }[] }; 
    expect(back.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: 3, leaderEpoch: 7 });
  });

  it('skips unknown tags on decode and preserves them on re-encode', () => {
    const spec = apiSpecs.get(18)!.request; // ApiVersions request, flexible from v3
    const unknown = [{ tag: 90, data: Buffer.from([1, 2, 3]) }, { tag: 200, data: Buffer.alloc(0) }];
    const bytes = encode(spec, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1', unknownTaggedFields: unknown });
    const back = decode(spec, 3, bytes).value as Record<string, unknown>;
    expect(back.clientSoftwareName).toBe('x');
    expect(back.unknownTaggedFields).toEqual(unknown);
    expect(encode(spec, 3, back).equals(bytes)).toBe(true);
  });
});

describe('request header', () => {
  it('keeps ClientId a classic int16-length string in header v2', () => {
    const bytes = encode(RequestHeaderSpec, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 5, clientId: 'abc' });
    // apiKey(2) apiVersion(2) correlationId(4) clientId: int16 length 3 + 'abc', then an empty tag buffer.
    expect([...bytes]).toEqual([0, 18, 0, 3, 0, 0, 0, 5, 0, 3, 97, 98, 99, 0]);
  });
});
