// This broker's advertised listeners (kafka.advertisedListeners, KIP-103): what it
// registers with the controller and the address it gives for itself. A broker configured
// with one address has one listener, PLAINTEXT, at advertisedHost:advertisedPort.

import type { BrokerEndpoint } from '@stratus/controller';
import type { BrokerConfig } from './broker-context.ts';
import { DEFAULT_LISTENER_NAME } from './network/index.ts';

/** Every advertised listener, in configuration order; the first is advertisedHost:advertisedPort. */
export function advertisedEndpoints(config: Pick<BrokerConfig, 'advertisedHost' | 'advertisedPort' | 'endpoints'>): readonly BrokerEndpoint[] {
  if (config.endpoints !== undefined && config.endpoints.length > 0) return config.endpoints;
  return [{ listener: DEFAULT_LISTENER_NAME, host: config.advertisedHost, port: config.advertisedPort }];
}

/** This broker's address for clients of `listener`, or undefined when it has no such listener. */
export function ownEndpoint(config: Pick<BrokerConfig, 'advertisedHost' | 'advertisedPort' | 'endpoints'>, listener: string): BrokerEndpoint | undefined {
  return advertisedEndpoints(config).find((e) => e.listener === listener);
}
