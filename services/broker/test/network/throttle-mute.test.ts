// KIP-219 channel muting: an answer whose dispatch result carries throttleMs is written at
// once, and the connection then reads nothing more from the client for that long — a
// client that ignores throttle_time_ms and sends again at once is held back all the same.
// Requests already read before the throttled answer are still answered; other connections
// are not affected; the longest of overlapping throttles wins.

import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { idOf, RawClient, request, requests, respond, startServer, stopAllServers } from './support/harness.ts';

afterEach(stopAllServers);

const THROTTLE_MS = 400;

/** Request id 1 is answered with a throttle; the others are not. Records when each request reached dispatch. */
async function throttlingServer(throttles: ReadonlyMap<number, number>) {
  const seen = new Map<number, number>();
  const { port } = await startServer(async (frame): Promise<DispatchResult> => {
    const id = idOf(frame);
    seen.set(id, performance.now());
    const ms = throttles.get(id);
    return ms === undefined ? respond(id) : { ...respond(id), throttleMs: ms } as DispatchResult;
  });
  return { port, seen };
}

describe('throttled answers mute the connection (KIP-219)', () => {
  it('answers at once, then reads the next request only after the throttle time', async () => {
    const { port, seen } = await throttlingServer(new Map([[1, THROTTLE_MS]]));
    const client = await RawClient.connect(port);
    const sent = performance.now();
    client.send(request(1));
    await client.waitForResponses(1);
    // The throttled answer itself is not delayed.
    expect(performance.now() - sent).toBeLessThan(THROTTLE_MS / 2);
    client.send(request(2));
    await client.waitForResponses(2);
    expect(seen.get(2)! - seen.get(1)!).toBeGreaterThanOrEqual(THROTTLE_MS - 5);
    expect(client.ids()).toEqual([1, 2]);
  });

  it('answers requests read before the throttled answer, and leaves other connections alone', async () => {
    const { port, seen } = await throttlingServer(new Map([[1, THROTTLE_MS]]));
    const client = await RawClient.connect(port);
    const other = await RawClient.connect(port);
    // 1 and 2 arrive together: 2 was read before 1 was answered, so it is served.
    client.send(requests([1, 2]));
    await client.waitForResponses(2);
    other.send(request(10));
    await other.waitForResponses(1);
    expect(seen.get(10)! - seen.get(1)!).toBeLessThan(THROTTLE_MS / 2);
    client.send(request(3));
    await client.waitForResponses(3);
    expect(seen.get(3)! - seen.get(1)!).toBeGreaterThanOrEqual(THROTTLE_MS - 5);
  });

  it('keeps the longest of overlapping throttles', async () => {
    const { port, seen } = await throttlingServer(new Map([[1, THROTTLE_MS], [2, 50]]));
    const client = await RawClient.connect(port);
    client.send(requests([1, 2]));
    await client.waitForResponses(2);
    client.send(request(3));
    await client.waitForResponses(3);
    expect(seen.get(3)! - seen.get(1)!).toBeGreaterThanOrEqual(THROTTLE_MS - 5);
  });
});
