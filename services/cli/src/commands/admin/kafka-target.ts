// Which brokers the Kafka-protocol commands (topics, groups) talk to:
//   1. --bootstrap-server HOST:PORT[,HOST:PORT], as Kafka's own tools take it;
//   2. else, when a controller is configured (--controller or STRATUS_CONTROLLER_ENDPOINTS,
//      as in a broker's container), the live brokers the controller knows, at their first
//      advertised listener — so admin in a broker's pod needs no flag for these either;
//   3. else 127.0.0.1:9092, where `stratus dev` listens by default.

import type { ControllerConnection } from './connect.ts';
import { KafkaAdmin } from './kafka-admin.ts';
import { ADMIN_EXIT, AdminExit } from './output.ts';

export const DEV_BOOTSTRAP = '127.0.0.1:9092';

export async function connectKafka(flag: string | undefined, controller: (() => Promise<ControllerConnection>) | undefined): Promise<KafkaAdmin> {
  let bootstrap: string[];
  let from: string;
  if (flag !== undefined && flag.trim() !== '') {
    bootstrap = flag.split(',').map((a) => a.trim()).filter((a) => a !== '');
    from = '--bootstrap-server';
  } else if (controller !== undefined) {
    const brokers = (await controller()).client.metadata().brokers.filter((b) => !b.fenced);
    bootstrap = brokers.map((b) => {
      const e = b.endpoints?.[0] ?? { host: b.host, port: b.port };
      return `${e.host}:${e.port}`;
    });
    from = 'the controller (its live brokers)';
    if (bootstrap.length === 0) throw new AdminExit(ADMIN_EXIT.failed, 'the controller knows no live broker: start one (stratus admin brokers list shows the registered ones)');
  } else {
    bootstrap = [DEV_BOOTSTRAP];
    from = 'the default, `stratus dev`';
  }
  try {
    return await KafkaAdmin.connect(bootstrap);
  } catch (e) {
    throw new AdminExit(
      ADMIN_EXIT.usage,
      `no broker answered at ${bootstrap.join(', ')} (from ${from}): ${(e as Error).message}.\n` +
        `Give --bootstrap-server HOST:PORT[,HOST:PORT] (brokers' Kafka addresses), or --controller / STRATUS_CONTROLLER_ENDPOINTS to take them from a cluster's controller; ` +
        `\`stratus dev\` listens on ${DEV_BOOTSTRAP} unless --kafka-port says otherwise.`,
    );
  }
}
