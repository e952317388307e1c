// The active controller frozen (SIGSTOP) past its election lease under load, then woken
// (SIGCONT) (issue 10 §5): the standby takes over with a larger epoch; the woken one still
// believes it is active, with brokers' calls (object commits among them) queued in its
// sockets from before the freeze. It must commit nothing under its old epoch — the store
// fences every write by the epoch key — and step down. Checked end to end: a `durability=object`
// topic is acknowledged only once its data is committed, so a commit the zombie answered
// without the store having it would show up as an acknowledged record missing from the log.
// Also: activations in the controllers' logs with rising epochs, the zombie logging its
// step-down after it woke, the store's epoch key the new active one's, and no broker
// fencing itself (their heartbeats must find the standby's takeover within their lease).

import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { controllerRole, fencingViolations, roleHistory } from './lib/controller-roles.ts';
import { RETRIABLE } from './lib/java-tools.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { describeRetried, faultUnderLoad, waitFor, waitForSpread } from './lib/scenarios.ts';

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster();
  admin = kafkaClient(cluster.bootstrapList, 'controller-zombie-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  for (const c of cluster?.controllers ?? []) c.resume();
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

const FREEZE_MS = 6000;

describe('the active controller frozen past its lease (SIGSTOP), then woken (SIGCONT)', () => {
  it('the standby takes over; the woken one commits nothing under its old epoch and steps down; nothing acknowledged lost', async () => {
    await admin.createTopics({ topics: [{ topic: 'zombie-commits', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    await waitForSpread(admin, cluster, 'zombie-commits');
    const zombie = (await cluster.activeController())!;
    const other = cluster.controllers.find((c) => c !== zombie)!;
    const epochBefore = (await zombie.metric('stratus_controller_epoch')) ?? 0;
    let takeoverMs = -1;
    let stepDownMs = -1;
    let frozenAt = 0;
    const f = await faultUnderLoad(cluster, 'zombie-commits', { count: 8000, rate: 600 }, async () => {
      frozenAt = Date.now();
      zombie.pause();
      takeoverMs = await waitFor(`${other.name} active`, 20_000, async () => ((await controllerRole(other)) === 'active' ? Date.now() - frozenAt : undefined));
      await new Promise((r) => setTimeout(r, Math.max(0, FREEZE_MS - (Date.now() - frozenAt))));
      const wokeAt = Date.now();
      zombie.resume();
      stepDownMs = await waitFor(`${zombie.name} to step down`, 20_000, async () => ((await zombie.metric('stratus_controller_role', 'role="standby"')) === 1 ? Date.now() - wokeAt : undefined));
    });
    const epochAfter = (await other.metric('stratus_controller_epoch')) ?? 0;
    const storeEpoch = Number(await cluster.redis.cliRaw('GET', 'stratus:controller:epoch'));
    const history = roleHistory(cluster.controllers);
    const woke = frozenAt + FREEZE_MS;
    const fencedBrokers = cluster.brokers.filter((b) => b.logLines(/^fenced itself/).some((l) => Number(l['time']) >= frozenAt)).map((b) => b.name);
    const zombieStepDowns = history.filter((e) => e.controller === zombie.name && e.what === 'stepped down' && e.time >= woke - 100);
    console.log(
      `${zombie.name} (epoch ${epochBefore}) frozen ${FREEZE_MS} ms: ${other.name} active with epoch ${epochAfter} ${takeoverMs} ms into the freeze; woken, ${zombie.name} a standby ${stepDownMs} ms later ` +
        `(${zombieStepDowns.map((e) => `stepped down from epoch ${e.epoch}`).join(', ') || 'no step-down logged'}); store epoch key ${storeEpoch}; ` +
        `longest stall between acks ${f.longestAckGapMs} ms; ${f.acked} acknowledged; the client retried: ${describeRetried(f.retried)}; ` +
        `brokers that fenced themselves: ${fencedBrokers.join(', ') || 'none'}`,
    );
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    expect(epochAfter).toBeGreaterThan(epochBefore);
    expect(storeEpoch).toBe(epochAfter);
    expect(fencingViolations(history, [zombie.name])).toEqual([]);
    expect(zombieStepDowns.map((e) => e.epoch)).toContain(epochBefore);
    expect(await cluster.activeController()).toBe(other);
    // As after a SIGKILL, the brokers find the new controller within their lease: their
    // heartbeats give up on the frozen one after 1 s and do not follow the standby's
    // redirects back to it (they fenced themselves, all three, with the 5 s call timeout).
    expect(fencedBrokers).toEqual([]);
  }, 150_000);
});
