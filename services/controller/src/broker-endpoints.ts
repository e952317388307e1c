// A broker's address for one listener (KIP-103: each listener has its own advertised
// address, and a client is told the addresses of the listener it connected through).
// Brokers registered before listeners existed carry no endpoints: their host:port stands
// for every listener, so metadata written by an older broker or journal still answers.

import type { BrokerEndpoint, BrokerInfo } from './controller-api.ts';

/** The broker's advertised address on `listener`, or undefined when it has no such listener. */
export function brokerEndpointFor(broker: BrokerInfo, listener: string): BrokerEndpoint | undefined {
  const endpoints = broker.endpoints;
  if (endpoints === undefined || endpoints.length === 0) return { listener, host: broker.host, port: broker.port };
  return endpoints.find((e) => e.listener === listener);
}

/** Listener names: what kafka.listeners accepts (Kafka's names are case-insensitive; these are upper case). */
export const LISTENER_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Most endpoints one broker registers: a bound on the size of a BrokerRegistered record. */
export const MAX_BROKER_ENDPOINTS = 32;
