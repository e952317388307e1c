// What `stratus dev` and `stratus broker` say about their Kafka listeners: each one at
// start (its name, where it accepts, what its clients are told) and which one could not
// bind. One wording for both commands.

import type { BoundListener } from '@stratus/broker';
import { describeListener } from '../config/listeners.ts';
import type { KafkaListener } from '../config/listeners.ts';

export interface ListenerSummary {
  readonly name: string;
  /** NAME://host:port where it accepts (the bound port when 0 was asked for). */
  readonly bound: string;
  /** host:port its clients are told. */
  readonly advertised: string;
}

export function listenerSummaries(listeners: readonly KafkaListener[], bound: readonly BoundListener[]): ListenerSummary[] {
  return listeners.map((l) => {
    const port = bound.find((b) => b.name === l.name)?.address.port ?? l.port;
    const advertised = describeListener(l.name, l.advertisedHost, l.advertisedPort === 0 ? port : l.advertisedPort);
    return { name: l.name, bound: describeListener(l.name, l.host, port), advertised: advertised.slice(l.name.length + 3) };
  });
}

/** One log line's text for the listeners: `PLAINTEXT://127.0.0.1:9092 (advertised 127.0.0.1:9092), ...`. */
export function listenersLine(summaries: readonly ListenerSummary[]): string {
  return summaries.map((s) => `${s.bound} (advertised ${s.advertised})`).join(', ');
}

/** The message for a listener whose address is taken, naming it and what to change. */
export function listenerInUse(listeners: readonly KafkaListener[], error: NodeJS.ErrnoException & { listener?: string }, change: string): string {
  const l = listeners.find((x) => x.name === error.listener) ?? listeners[0]!;
  const which = listeners.length > 1 ? `Kafka listener ${describeListener(l.name, l.host, l.port)}` : `Kafka port ${l.host}:${l.port}`;
  return `${which} is already in use: stop the other process or ${listeners.length > 1 ? 'change kafka.listeners' : change}`;
}
