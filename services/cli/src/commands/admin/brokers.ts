// `stratus admin brokers list | drain ID [--wait] [--timeout DUR] | undrain ID`.
// A drain asks the controller to move every partition the broker leads to the others
// (graceful hand-overs) and to give it no new ones; it stays draining until undrained or
// until the broker starts again (a starting broker undoes its drain). Draining before
// removing a broker (scaling in) hands its partitions over while it still serves them.

import type { ControllerConnection } from './connect.ts';
import { brokerTable, describeCluster } from './cluster-view.ts';
import type { ClusterView } from './cluster-view.ts';
import { ADMIN_EXIT, AdminExit, count, describeItemError, formatMs, itemError, usageError } from './output.ts';
import type { Output } from './output.ts';
import { waitFor } from './wait.ts';

export async function brokersListCommand(conn: ControllerConnection, out: Output): Promise<number> {
  const view = await describeCluster(conn.client, conn.endpoints);
  out.document({ brokers: view.brokers });
  for (const line of brokerTable(view.brokers, Date.now())) out.text(line);
  return ADMIN_EXIT.ok;
}

export function brokerId(raw: string | undefined, action: string): number {
  if (raw === undefined) throw usageError(`brokers ${action} needs the broker's id (stratus admin brokers list shows them)`);
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id > 2 ** 31 - 1) throw usageError(`brokers ${action}: ${JSON.stringify(raw)} is not a broker id (a whole number)`);
  return id;
}

const ledBy = (view: ClusterView, id: number): number => view.brokers.find((b) => b.id === id)?.partitionsLed ?? 0;

export async function brokersDrainCommand(conn: ControllerConnection, out: Output, id: number, wait: { timeoutMs: number } | undefined): Promise<number> {
  // Without a reason: the controller records the operator's drain ('operator').
  const r = await conn.client.drainBroker(id, true);
  const error = itemError(r);
  if (error !== null) {
    out.document({ broker: id, draining: false, partitionsToMove: 0, error, wait: null });
    throw new AdminExit(ADMIN_EXIT.failed, `broker ${id} could not be drained: ${describeItemError(error)}${error.name === 'BROKER_NOT_AVAILABLE' ? ' (is that a registered broker? stratus admin brokers list shows them)' : ''}`);
  }
  out.text(`broker ${id}: draining, ${count(r.partitionsToMove, 'partition')} to move to other brokers`);
  if (wait === undefined) {
    out.document({ broker: id, draining: true, partitionsToMove: r.partitionsToMove, error: null, wait: null });
    out.text(`stratus admin brokers drain ${id} --wait waits until it leads none; undrain ${id} gives it partitions again`);
    return ADMIN_EXIT.ok;
  }
  const moving = (v: ClusterView): number => v.moves.filter((m) => m.from === id).length;
  const total = Math.max(r.partitionsToMove, 0);
  const w = await waitFor(
    conn,
    wait.timeoutMs,
    (v) => ledBy(v, id) === 0,
    (v) => ({ line: `broker ${id} leads ${count(ledBy(v, id), 'partition')} (${count(moving(v), 'move')} from it under way)`, done: Math.max(0, total - ledBy(v, id)), total }),
    out,
  );
  const partitionsLed = ledBy(w.last, id);
  out.document({ broker: id, draining: true, partitionsToMove: r.partitionsToMove, error: null, wait: { done: w.done, elapsedMs: Math.round(w.elapsedMs), partitionsLed } });
  if (!w.done) {
    throw new AdminExit(
      ADMIN_EXIT.failed,
      `broker ${id} still leads ${count(partitionsLed, 'partition')} after ${formatMs(w.elapsedMs)}. It stays draining: the controller keeps moving them ` +
        `(run drain ${id} --wait again to keep waiting; the active controller's log says why a move does not finish — a fenced broker's local partitions cannot be handed over). ` +
        `stratus admin brokers undrain ${id} cancels.`,
    );
  }
  out.text(`broker ${id} leads no partitions (${formatMs(w.elapsedMs)}): it can be stopped`);
  return ADMIN_EXIT.ok;
}

export async function brokersUndrainCommand(conn: ControllerConnection, out: Output, id: number): Promise<number> {
  const r = await conn.client.drainBroker(id, false);
  const error = itemError(r);
  out.document({ broker: id, draining: error === null ? false : null, error });
  if (error !== null) throw new AdminExit(ADMIN_EXIT.failed, `broker ${id} could not be undrained: ${describeItemError(error)}`);
  out.text(`broker ${id}: no longer draining; the controller may give it partitions again`);
  return ADMIN_EXIT.ok;
}
