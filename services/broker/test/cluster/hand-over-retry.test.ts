// The hand-over of a partition that is not open yet, while the controller is unavailable
// for a moment (a controller failover): opening it asks the controller for its bounds, and
// a retriable controller failure is tried again for as long as the move lasts instead of
// giving the hand-over up (which left the partition refusing produce until the controller's
// move timeout, and a local topic's move to be made all over again — found by
// test/cluster: a SIGTERM drain with the active controller killed meanwhile took ~23 s).
// Any other failure still gives up at once; the move's end stops the retries.

import { describe, expect, it } from 'vitest';
import { ControllerUnavailableError } from '@stratus/controller';
import type { ClusterMetadata } from '@stratus/controller';
import { ErrorCode } from '@stratus/protocol';
import { systemClock } from '@stratus/runtime';
import type { OpenPartition } from '../../src/broker-context.ts';
import { HandOverManager } from '../../src/cluster/hand-over.ts';
import type { HandOverEvent } from '../../src/cluster/hand-over.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function metadata(movingTo: number | undefined, leader = 1): ClusterMetadata {
  return {
    version: 1,
    brokers: [],
    topics: [{ name: 't', topicId: TOPIC_ID, configs: {}, partitions: [{ partition: 0, leader, leaderEpoch: leader === 1 ? 3 : 4, ...(movingTo !== undefined ? { movingTo } : {}) }] }],
  } as unknown as ClusterMetadata;
}

/** Polls until `cond` holds (fails after 5 s). */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A partition manager whose open fails `failures` times with `error`, then opens a partition whose tail flushes at once. */
function harness(failures: number, error: () => Error) {
  const events: HandOverEvent[] = [];
  const released: number[] = [];
  let opens = 0;
  const open = { leaderEpoch: 3, log: { flushTail: async () => true, failed: undefined } } as unknown as OpenPartition;
  const manager = new HandOverManager({
    nodeId: 1,
    clock: systemClock,
    releaseRetryMs: 5,
    brokerEpoch: () => 7,
    controller: {
      releasePartition: async (_tp, leaderEpoch) => {
        released.push(leaderEpoch);
        return { errorCode: ErrorCode.NONE, errorMessage: null };
      },
    },
    partitions: {
      partition: async () => {
        opens++;
        if (opens <= failures) throw error();
        return open;
      },
      beginHandOver: () => undefined,
      endHandOver: () => undefined,
    },
    onEvent: (e) => events.push(e),
  });
  return { manager, events, released, opens: () => opens };
}

const unavailable = (): Error => new ControllerUnavailableError('getPartitionBounds: controller unavailable (UNAVAILABLE): this controller is a standby', 14);

describe('hand-over of a partition not open yet, with the controller unavailable for a moment', () => {
  it('retries opening it and then hands it over', async () => {
    const h = harness(4, unavailable);
    h.manager.onMetadata(metadata(2));
    await until('an outcome', () => h.events.length >= 2);
    h.manager.onMetadata(metadata(undefined, 2)); // the watch then shows the new leader
    await h.manager.idle();
    expect(h.opens()).toBe(5);
    expect(h.events.map((e) => e.type)).toEqual(['hand-over-started', 'hand-over-released']);
    expect(h.released).toEqual([3]);
  });

  it('gives up at once on a failure that is not the controller being unavailable', async () => {
    const h = harness(1, () => new Error('the WAL failed'));
    h.manager.onMetadata(metadata(2));
    await until('an outcome', () => h.events.length >= 2);
    h.manager.close();
    expect(h.opens()).toBe(1);
    expect(h.events.map((e) => e.type)).toEqual(['hand-over-started', 'hand-over-failed']);
    expect(h.released).toEqual([]);
  });

  it('stops retrying when the move ends (cancelled: the partition stays, nothing released)', async () => {
    const h = harness(1_000_000, unavailable);
    h.manager.onMetadata(metadata(2));
    await new Promise((r) => setTimeout(r, 60));
    const triedWhileMoving = h.opens();
    h.manager.onMetadata(metadata(undefined));
    await h.manager.idle();
    await new Promise((r) => setTimeout(r, 60));
    expect(triedWhileMoving).toBeGreaterThan(1);
    expect(h.opens()).toBe(triedWhileMoving);
    expect(h.events.map((e) => e.type)).toEqual(['hand-over-started', 'hand-over-cancelled']);
    expect(h.released).toEqual([]);
    h.manager.close();
  });
});
