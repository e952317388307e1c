// A request the broker cannot serve is reported with what identifies it in a log line: the
// connection's id and peer, and (in the header) the client id and correlation id — also
// when the header itself cannot be read.

import { describe, expect, it } from 'vitest';
import { ApiKey, encodeRequest } from '@stratus/protocol';
import type { ParsedRequestHeader } from '@stratus/protocol';
import { Dispatcher } from '../../src/dispatcher.ts';
import type { ProblemConnection } from '../../src/dispatcher.ts';
import { defineHandler } from '../../src/handler.ts';

describe('onProblem', () => {
  it('names the connection and the request', async () => {
    const seen: { problem: string; header: ParsedRequestHeader | undefined; conn: ProblemConnection | undefined }[] = [];
    const buggy = defineHandler({ apiKey: ApiKey.DescribeGroups, accept: [0, 5], handle: () => Promise.reject(new TypeError('bug')) });
    const dispatcher = new Dispatcher([buggy], { onProblem: (problem, header, _error, conn) => seen.push({ problem, header, conn }) });
    const conn = { connectionId: 42, listenerName: 'PLAINTEXT', remoteAddress: '10.0.0.9:5123', signal: new AbortController().signal };
    await dispatcher.dispatch(encodeRequest(ApiKey.DescribeGroups, 4, 777, 'the-client', { groups: ['g'], includeAuthorizedOperations: false }).subarray(4), conn);
    await dispatcher.dispatch(Buffer.from([0, 1]), conn); // not even a header
    await dispatcher.dispatch(encodeRequest(ApiKey.ListGroups, 4, 778, 'the-client', { statesFilter: [] }).subarray(4), conn); // no handler
    expect(seen.map((s) => [s.problem, s.header?.correlationId, s.header?.clientId, s.conn?.connectionId, s.conn?.remoteAddress])).toEqual([
      [`handler for API ${ApiKey.DescribeGroups} failed`, 777, 'the-client', 42, '10.0.0.9:5123'],
      [expect.stringMatching(/^malformed request header/), undefined, undefined, 42, '10.0.0.9:5123'],
      [`unsupported API ${ApiKey.ListGroups} v4`, 778, 'the-client', 42, '10.0.0.9:5123'],
    ]);
  });
});
