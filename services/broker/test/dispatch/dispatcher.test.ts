import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import { Dispatcher } from '../../src/dispatcher.ts';
import { CloseConnection, NO_RESPONSE, defineHandler } from '../../src/handler.ts';
import { apiVersionsHandler } from '../../src/handlers/18-api-versions.ts';

const conn = { connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1', signal: new AbortController().signal };

function frame(buf: Buffer): Buffer {
  return buf.subarray(4);
}

function dispatcher(): Dispatcher {
  const heartbeat = defineHandler({ apiKey: ApiKey.Heartbeat, accept: [0, 4], handle: (req) => (req.groupId === 'boom' ? Promise.reject(new Error('bug')) : { errorCode: ErrorCode.NONE }) });
  const leave = defineHandler({ apiKey: ApiKey.LeaveGroup, accept: [0, 5], handle: (req) => (req.groupId === 'quiet' ? NO_RESPONSE : new CloseConnection('asked to')) });
  const d: Dispatcher = new Dispatcher([apiVersionsHandler(() => d.registry.advertised()), heartbeat, leave]);
  return d;
}

describe('Dispatcher', () => {
  it('routes to the handler and encodes its answer with the request version', async () => {
    const r = await dispatcher().dispatch(frame(encodeRequest(ApiKey.Heartbeat, 4, 42, 'c', { groupId: 'g', generationId: 1, memberId: 'm' })), conn);
    expect(r.kind).toBe('response');
    if (r.kind !== 'response') return;
    const decoded = decodeResponse(ApiKey.Heartbeat, 4, Buffer.concat(r.chunks).subarray(4));
    expect(decoded.ok && decoded.value).toMatchObject({ correlationId: 42, body: { errorCode: 0 } });
  });

  it('builds ApiVersions from the registered handlers', async () => {
    const r = await dispatcher().dispatch(frame(encodeRequest(ApiKey.ApiVersions, 3, 1, 'c', {})), conn);
    if (r.kind !== 'response') throw new Error(r.kind);
    const decoded = decodeResponse(ApiKey.ApiVersions, 3, Buffer.concat(r.chunks).subarray(4));
    expect(decoded.ok && decoded.value.body.apiKeys).toEqual([
      { apiKey: 12, minVersion: 0, maxVersion: 4 },
      { apiKey: 13, minVersion: 0, maxVersion: 5 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
  });

  it('answers an unsupported ApiVersions version in v0 with UNSUPPORTED_VERSION and the ranges', async () => {
    const req = encodeRequest(ApiKey.ApiVersions, 3, 7, 'c', {});
    req.writeInt16BE(9, 6); // claim version 9
    const r = await dispatcher().dispatch(frame(req), conn);
    if (r.kind !== 'response') throw new Error(r.kind);
    const decoded = decodeResponse(ApiKey.ApiVersions, 0, Buffer.concat(r.chunks).subarray(4));
    expect(decoded.ok && decoded.value.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(decoded.ok && decoded.value.body.apiKeys.length).toBe(3);
  });

  it('closes the connection for malformed frames, unknown APIs and handler failures', async () => {
    const d = dispatcher();
    expect((await d.dispatch(Buffer.from([0, 12]), conn)).kind).toBe('close');
    expect((await d.dispatch(frame(encodeRequest(ApiKey.Metadata, 1, 1, 'c', {})), conn)).kind).toBe('close');
    const truncated = frame(encodeRequest(ApiKey.Heartbeat, 0, 1, 'c', { groupId: 'g', generationId: 1, memberId: 'm' }));
    expect((await d.dispatch(truncated.subarray(0, truncated.length - 2), conn)).kind).toBe('close');
    expect((await d.dispatch(frame(encodeRequest(ApiKey.Heartbeat, 0, 1, 'c', { groupId: 'boom', generationId: 1, memberId: 'm' })), conn)).kind).toBe('close');
  });

  it('ignores bytes after a request body, as Kafka does, and reports them once per connection', async () => {
    const reported: number[] = [];
    const heartbeat = defineHandler({ apiKey: ApiKey.Heartbeat, accept: [0, 4], handle: (req) => ({ errorCode: req.groupId === 'g' ? ErrorCode.NONE : ErrorCode.UNKNOWN_SERVER_ERROR }) });
    const d = new Dispatcher([heartbeat], { onTrailingBytes: (_header, bytes, c) => reported.push(bytes, c.connectionId) });
    const padded = (version: number): Buffer =>
      Buffer.concat([frame(encodeRequest(ApiKey.Heartbeat, version, 5, 'c', { groupId: 'g', generationId: 1, memberId: 'm' })), Buffer.from([0, 0, 0])]);
    for (const version of [0, 4]) {
      const r = await d.dispatch(padded(version), conn);
      if (r.kind !== 'response') throw new Error(r.kind);
      const decoded = decodeResponse(ApiKey.Heartbeat, version, Buffer.concat(r.chunks).subarray(4));
      expect(decoded.ok && decoded.value.body.errorCode).toBe(ErrorCode.NONE);
    }
    const other = { ...conn, connectionId: 2 };
    expect((await d.dispatch(padded(4), other)).kind).toBe('response');
    expect(reported).toEqual([3, 1, 3, 2]);
  });

  it('passes NO_RESPONSE and CloseConnection through', async () => {
    const d = dispatcher();
    expect((await d.dispatch(frame(encodeRequest(ApiKey.LeaveGroup, 0, 1, 'c', { groupId: 'quiet', memberId: 'm' })), conn)).kind).toBe('none');
    expect(await d.dispatch(frame(encodeRequest(ApiKey.LeaveGroup, 0, 1, 'c', { groupId: 'x', memberId: 'm' })), conn)).toEqual({ kind: 'close', reason: 'asked to' });
  });

  it('tells onRequest about every served request once: its body, the answer (undefined when the handler failed) and a duration', async () => {
    const seen: { apiKey: number; request: unknown; response: unknown; ms: number }[] = [];
    const heartbeat = defineHandler({
      apiKey: ApiKey.Heartbeat,
      accept: [0, 4],
      handle: async (req) => {
        if (req.groupId === 'boom') throw new Error('bug');
        await new Promise((r) => setTimeout(r, 20));
        return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
      },
    });
    const leave = defineHandler({ apiKey: ApiKey.LeaveGroup, accept: [0, 5], handle: () => NO_RESPONSE });
    const d = new Dispatcher([heartbeat, leave], { onRequest: (header, request, response, ms) => seen.push({ apiKey: header.apiKey, request, response, ms }) });
    await d.dispatch(frame(encodeRequest(ApiKey.Heartbeat, 4, 1, 'c', { groupId: 'g', generationId: 1, memberId: 'm' })), conn);
    await d.dispatch(frame(encodeRequest(ApiKey.Heartbeat, 4, 2, 'c', { groupId: 'boom', generationId: 1, memberId: 'm' })), conn);
    await d.dispatch(frame(encodeRequest(ApiKey.LeaveGroup, 0, 3, 'c', { groupId: 'g', memberId: 'm' })), conn);
    await d.dispatch(Buffer.from([0, 12]), conn); // malformed: no handler ran, not reported
    expect(seen.map((s) => s.apiKey)).toEqual([ApiKey.Heartbeat, ApiKey.Heartbeat, ApiKey.LeaveGroup]);
    expect(seen[0]).toMatchObject({ request: { groupId: 'g' }, response: { errorCode: ErrorCode.REBALANCE_IN_PROGRESS } });
    expect(seen[0]!.ms).toBeGreaterThanOrEqual(15);
    expect(seen[1]!.response).toBeUndefined();
    expect(seen[2]!.response).toBe(NO_RESPONSE);
  });
});
