// `stratus admin cluster`: the brokers (addresses per listener, rack, epoch, state,
// partitions led, lease), the active controller, the metadata version, the moves under way.

import type { ControllerConnection } from './connect.ts';
import { brokerTable, describeCluster, moveTable } from './cluster-view.ts';
import { ADMIN_EXIT, count } from './output.ts';
import type { Output } from './output.ts';

export async function clusterCommand(conn: ControllerConnection, out: Output): Promise<number> {
  const view = await describeCluster(conn.client, conn.endpoints);
  out.document(view);
  const now = Date.now();
  out.text(`cluster ${view.clusterId}, metadata version ${view.metadataVersion}`);
  out.text(`active controller: ${view.controller.active}${view.controller.endpoints.length > 1 ? ` (of ${view.controller.endpoints.join(', ')})` : ''}`);
  out.text(`${count(view.topics, 'topic')}, ${count(view.partitions, 'partition')}; Kafka clients are told broker ${view.kafkaControllerId} is the controller`);
  out.text('');
  for (const line of brokerTable(view.brokers, now)) out.text(line);
  out.text('');
  if (view.moves.length === 0) out.text('no moves under way');
  else for (const line of [`${count(view.moves.length, 'move')} under way:`, ...moveTable(view.moves, now)]) out.text(line);
  return ADMIN_EXIT.ok;
}
