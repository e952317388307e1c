// Where `stratus admin` finds the controller, and the connection to it. The addresses come
// from --controller HOST:PORT[,HOST:PORT] or STRATUS_CONTROLLER_ENDPOINTS — the variable a
// broker reads, so in a broker's container (a Kubernetes pod, a compose service) admin
// finds the controllers with no flag. The other controller.* settings of a broker
// (timeouts, TLS) are read from their STRATUS_CONTROLLER_* variables the same way, through
// the broker's own schema, so admin connects as the broker next to it does.
//
// Only the controller's gRPC client is opened: no storage, no WAL, no Kafka listener.

import { z } from 'zod';
import { GrpcControllerClient } from '@stratus/controller';
import { ConfigError, envName, loadConfigWith } from '../../config/load.ts';
import { brokerConfigSchema } from '../../config/broker-schema.ts';
import { ADMIN_EXIT, AdminExit } from './output.ts';

/** The broker schema's controller section alone: the only settings admin has. */
const adminConfigSchema = z.object({ controller: brokerConfigSchema.shape.controller });

/**
 * How long admin waits for a controller to answer before it gives up (exit 2). A broker
 * waits 30 s at start-up (controllers may still be starting); a person at a terminal
 * should hear sooner that the address is wrong. STRATUS_CONTROLLER_CONNECT_TIMEOUT
 * still overrides it.
 */
const ADMIN_CONNECT_TIMEOUT = '5s';

export const CONTROLLER_ENV = envName(['controller', 'endpoints']);

/** Whether admin was told where the controllers are (the flag or the variable). */
export function controllerConfigured(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return (flag ?? '').trim() !== '' || (env[CONTROLLER_ENV] ?? '').trim() !== '';
}

export const NO_CONTROLLER_MESSAGE =
  `this command talks to a cluster's controller: give --controller HOST:PORT[,HOST:PORT] (the controllers' gRPC addresses, port 9190 by default) or set ${CONTROLLER_ENV}.\n` +
  `\`stratus dev\` runs its controller inside the process and serves no controller API, so this command needs a cluster; ` +
  `against dev, the Kafka-protocol commands work (stratus admin topics ..., groups ...).`;

export interface ControllerConnection {
  readonly client: GrpcControllerClient;
  /** The addresses admin was given, in order. */
  readonly endpoints: readonly string[];
}

/** Connects to the active controller (following standbys' redirects); AdminExit(2) when none answers. */
export async function connectController(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ControllerConnection> {
  if (!controllerConfigured(flag, env)) throw new AdminExit(ADMIN_EXIT.usage, NO_CONTROLLER_MESSAGE);
  const flags: Record<string, string> = {};
  if (flag !== undefined) flags['controller.endpoints'] = flag;
  if (env[envName(['controller', 'connectTimeout'])] === undefined) flags['controller.connectTimeout'] = ADMIN_CONNECT_TIMEOUT;
  let controller;
  try {
    ({ controller } = loadConfigWith(adminConfigSchema, { env, flags }));
  } catch (e) {
    if (e instanceof ConfigError) throw new AdminExit(ADMIN_EXIT.usage, `the controller settings are wrong:\n  ${e.problems.join('\n  ')}`);
    throw e;
  }
  try {
    const client = await GrpcControllerClient.connect({
      target: controller.endpoints,
      callTimeoutMs: controller.callTimeout,
      operationTimeoutMs: controller.operationTimeout,
      connectTimeoutMs: controller.connectTimeout,
      ...(controller.tls !== undefined ? { tls: withoutUndefined(controller.tls) } : {}),
    });
    return { client, endpoints: controller.endpoints };
  } catch (e) {
    throw new AdminExit(
      ADMIN_EXIT.usage,
      `no controller answered at ${controller.endpoints.join(', ')} within ${controller.connectTimeout} ms (${(e as Error).message}).\n` +
        `Check that the controllers run and that these are their gRPC addresses (grpc.port, 9190 by default; not a broker's Kafka port). ` +
        `\`stratus dev\` serves no controller API.`,
    );
  }
}

function withoutUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
