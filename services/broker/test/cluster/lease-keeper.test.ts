// The lease keeper's timing and failure handling on a manual clock. The controller here is
// a scripted stand-in for registerBroker/heartbeat only (what it answers, when, or that it
// hangs or fails) — the keeper is what is under test; the real controller's lease is tested
// against the keeper in lease.test.ts.

import { describe, expect, it } from 'vitest';
import type { BrokerRegistration, HeartbeatResult } from '@stratus/controller';
import { ManualClock } from '@stratus/runtime';
import { LeaseKeeper, resolveLeaseSettings } from '../../src/cluster/lease-keeper.ts';
import type { LeaseEvent } from '../../src/cluster/lease-keeper.ts';

type Answer<T> = T | Error | 'hang';

class ScriptedController {
  registrations = 0;
  heartbeats: { nodeId: number; brokerEpoch: number; atMs: number }[] = [];
  nextRegister: Answer<BrokerRegistration>[] = [];
  nextHeartbeat: Answer<HeartbeatResult>[] = [];
  private epoch = 0;
  private readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  registerBroker(): Promise<BrokerRegistration> {
    this.registrations++;
    const a = this.nextRegister.shift() ?? { brokerEpoch: ++this.epoch, leaseExpiresAtMs: this.clock.nowMs() + 6000 };
    return answer(a);
  }

  heartbeat(nodeId: number, brokerEpoch: number): Promise<HeartbeatResult> {
    this.heartbeats.push({ nodeId, brokerEpoch, atMs: this.clock.monotonicMs() });
    return answer(this.nextHeartbeat.shift() ?? { leaseExpiresAtMs: this.clock.nowMs() + 6000, fenced: false });
  }
}

function answer<T>(a: Answer<T>): Promise<T> {
  if (a === 'hang') return new Promise<T>(() => undefined);
  if (a instanceof Error) return Promise.reject(a);
  return Promise.resolve(a);
}

/** Lets the keeper's promise chains run (they continue after start() resolves). */
async function turn(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function setup(overrides: Partial<ConstructorParameters<typeof LeaseKeeper>[0]> = {}) {
  const clock = new ManualClock();
  const controller = new ScriptedController(clock);
  const events: LeaseEvent[] = [];
  const fencedChanges: boolean[] = [];
  const keeper = new LeaseKeeper({
    controller,
    broker: { nodeId: 7, host: 'h', port: 9092, rack: null },
    clock,
    onEvent: (e) => events.push(e),
    onFencedChange: (f) => fencedChanges.push(f),
    ...overrides,
  });
  return { clock, controller, events, fencedChanges, keeper };
}

describe('LeaseKeeper', () => {
  it('registers, then heartbeats every interval with its broker epoch, staying unfenced', async () => {
    const { clock, controller, keeper, fencedChanges } = setup();
    await keeper.start();
    await turn();
    expect(keeper.brokerEpoch).toBe(1);
    expect(keeper.fenced).toBe(false);
    await clock.advance(10_000);
    expect(controller.heartbeats.map((h) => h.atMs)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    expect(controller.heartbeats.every((h) => h.nodeId === 7 && h.brokerEpoch === 1)).toBe(true);
    expect(keeper.fenced).toBe(false);
    expect(fencedChanges).toEqual([false]);
    await keeper.close();
  });

  it('fences itself leaseMs - safetyMarginMs after the send time of the last successful heartbeat, then unfences on the next success', async () => {
    const { clock, controller, keeper, events, fencedChanges } = setup();
    await keeper.start();
    await turn();
    await clock.advance(1000); // heartbeat sent at 1000 succeeds: the lease now counts from 1000
    controller.nextHeartbeat.push(new Error('unavailable'), new Error('unavailable'), new Error('unavailable'), 'hang');
    await clock.advance(5999 - 1000);
    expect(keeper.fenced).toBe(false); // 1000 + 6000 - 1000 = 6000 is the deadline
    await clock.advance(1);
    expect(keeper.fenced).toBe(true);
    expect(events.find((e) => e.type === 'fenced')).toEqual({ type: 'fenced', reason: 'lapsed', sinceRenewalMs: 5000 });
    expect(events.filter((e) => e.type === 'heartbeat-failed').length).toBeGreaterThanOrEqual(3);
    // The hanging heartbeat (sent at 5000) times out at 7000 (requestTimeoutMs); the next, sent at 8000, succeeds.
    await clock.advance(1999);
    expect(keeper.fenced).toBe(true);
    await clock.advance(1);
    expect(keeper.fenced).toBe(false);
    expect(fencedChanges).toEqual([false, true, false]);
    expect(controller.registrations).toBe(1); // the controller never said fenced: same epoch
    await keeper.close();
  });

  it('a heartbeat answered fenced fences at once and registers again under a new epoch', async () => {
    const { clock, controller, keeper, events } = setup();
    await keeper.start();
    await turn();
    controller.nextHeartbeat.push({ leaseExpiresAtMs: 0, fenced: true });
    controller.nextRegister.push(new Error('controller busy'), new Error('controller busy'));
    await clock.advance(1000);
    expect(keeper.fenced).toBe(true);
    expect(events.some((e) => e.type === 'fenced' && e.reason === 'controller')).toBe(true);
    // Two failed registrations back off 100 then 200 ms; the third succeeds with epoch 2.
    await clock.advance(299);
    expect(keeper.fenced).toBe(true);
    await clock.advance(1);
    expect(keeper.fenced).toBe(false);
    expect(keeper.brokerEpoch).toBe(2);
    expect(events.filter((e) => e.type === 'register-failed').map((e) => (e.type === 'register-failed' ? e.retryInMs : 0))).toEqual([100, 200]);
    await clock.advance(1000);
    expect(controller.heartbeats.at(-1)?.brokerEpoch).toBe(2);
    await keeper.close();
  });

  it('registration backoff is capped, and a controller that never answers never crashes it', async () => {
    const { clock, controller, keeper, events } = setup({ registerBackoffMaxMs: 800 });
    for (let i = 0; i < 20; i++) controller.nextRegister.push(i % 2 === 0 ? new Error('down') : 'hang');
    const started = keeper.start();
    await clock.advance(20_000);
    const retries = events.flatMap((e) => (e.type === 'register-failed' ? [e.retryInMs] : []));
    expect(retries.slice(0, 5)).toEqual([100, 200, 400, 800, 800]);
    expect(keeper.fenced).toBe(true);
    await keeper.close();
    await started; // resolves on close
  });

  it('a heartbeat answered after more than the lease was spent does not unfence', async () => {
    const { clock, controller, keeper } = setup({ requestTimeoutMs: 10_000 });
    await keeper.start();
    await turn();
    let release!: (r: HeartbeatResult) => void;
    controller.nextHeartbeat.push(new Promise<HeartbeatResult>((r) => (release = r)) as never);
    // The scripted answer is a promise here: hand it back as is.
    controller.heartbeat = function (nodeId: number, brokerEpoch: number) {
      this.heartbeats.push({ nodeId, brokerEpoch, atMs: clock.monotonicMs() });
      const next = this.nextHeartbeat.shift();
      return next instanceof Promise ? next : answer(next ?? { leaseExpiresAtMs: 0, fenced: false });
    };
    await clock.advance(1000); // sent at 1000, unanswered
    await clock.advance(5500);
    expect(keeper.fenced).toBe(true); // 0 + 5000 passed
    release({ leaseExpiresAtMs: 0, fenced: false });
    await turn();
    expect(keeper.fenced).toBe(true); // sent at 1000: good until 6000, and it is 6500
    await clock.advance(1000); // the next heartbeat, sent at 6500, renews
    expect(keeper.fenced).toBe(false);
    await keeper.close();
  });

  it('refuses settings under which every lease would lapse', () => {
    expect(() => resolveLeaseSettings({ leaseMs: 3000, safetyMarginMs: 1000, heartbeatIntervalMs: 2000 })).toThrow(/heartbeatIntervalMs/);
    expect(() => resolveLeaseSettings({ leaseMs: 1000, safetyMarginMs: 1000 })).toThrow(/safetyMarginMs/);
    expect(() => resolveLeaseSettings({ heartbeatIntervalMs: 0 })).toThrow(/positive/);
    expect(resolveLeaseSettings({})).toMatchObject({ leaseMs: 6000, heartbeatIntervalMs: 1000, safetyMarginMs: 1000 });
  });
});
