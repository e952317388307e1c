// kafka.listeners and kafka.advertisedListeners, in Kafka's own syntax (KIP-103):
// `NAME://host:port,NAME2://host:port`. Each listener is a socket the broker accepts on;
// its advertised address is what clients that connect through it are told (Metadata,
// FindCoordinator, DescribeCluster), so one broker can be reached from two networks (a
// compose network and the host, a Kubernetes cluster and the outside).
//
// Unset, a broker has one listener, PLAINTEXT, at kafka.host:kafka.port advertised as
// kafka.advertisedHost:advertisedPort (each defaulting to its bound value) — as before
// listeners existed. kafka.port and kafka.advertised* describe that one listener, so they
// cannot be set together with the lists; kafka.host may, as the interface a listener
// written without a host (`NAME://:9092`, Kafka's "default interface") binds.
//
// No inter-broker listener (Kafka's inter.broker.listener.name): Stratus brokers never
// speak Kafka to each other — they share data through the object store and the
// controller. No security protocols yet: every listener is PLAINTEXT. A later
// kafka.listenerSecurityProtocolMap (Kafka's listener.security.protocol.map,
// `NAME:PROTOCOL,...`) is where SASL and TLS per listener will be chosen; resolveListeners
// is the one place that would read it.

/** One `NAME://host:port` entry as written (host '' when left empty; IPv6 without its brackets). */
export interface ListenerEntry {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** A listener as the broker runs it: where it binds, and what its clients are told. */
export interface KafkaListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

export const DEFAULT_KAFKA_HOST = '127.0.0.1';
export const DEFAULT_KAFKA_PORT = 9092;
/** The name of the one listener kafka.host/kafka.port describe (Kafka's default listener). */
export const DEFAULT_LISTENER = 'PLAINTEXT';

const NAME = /^[A-Z][A-Z0-9_]*$/;
/** Addresses that bind every interface: a client cannot connect to them (Kafka refuses to advertise them). */
const META_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/** A problem at a key of the kafka section. */
export interface ListenerProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/** Parses a listener list; every malformed entry is one problem. */
export function parseListenerList(text: string): { entries: ListenerEntry[]; problems: string[] } {
  const entries: ListenerEntry[] = [];
  const problems: string[] = [];
  for (const [i, raw] of text.split(',').entries()) {
    const item = raw.trim();
    const m = /^([^:/]*):\/\/(\[[^\]]*\]|[^[\]]*):(\d{1,5})$/.exec(item);
    if (m === null) {
      problems.push(item === '' ? `entry ${i + 1} is empty` : `"${item}" is not NAME://host:port (an IPv6 address goes in brackets: NAME://[::1]:9092)`);
      continue;
    }
    const [, name, rawHost, rawPort] = m as unknown as [string, string, string, string];
    const bracketed = rawHost.startsWith('[');
    const host = bracketed ? rawHost.slice(1, -1) : rawHost;
    const port = Number(rawPort);
    if (!NAME.test(name)) problems.push(`"${item}": the listener name must be upper-case letters, digits and _, starting with a letter (got "${name}")`);
    else if (bracketed && !host.includes(':')) problems.push(`"${item}": brackets are for IPv6 addresses`);
    else if (!bracketed && host.includes(':')) problems.push(`"${item}": an IPv6 address goes in brackets: ${name}://[${host}]:${port}`);
    else if (port > 65535) problems.push(`"${item}": port ${port} is above 65535`);
    else entries.push({ name, host, port });
  }
  return { entries, problems };
}

/** The kafka section's listener keys as written (undefined: not set). */
export interface ListenerKeys {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly advertisedHost?: string | undefined;
  readonly advertisedPort?: number | undefined;
  readonly listeners?: string | undefined;
  readonly advertisedListeners?: string | undefined;
}

const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The listeners these keys describe, in configuration order, and every problem with them (none: the list is valid). */
export function resolveListeners(k: ListenerKeys): { listeners: KafkaListener[]; problems: ListenerProblem[] } {
  const problems: ListenerProblem[] = [];
  const defaultHost = k.host ?? DEFAULT_KAFKA_HOST;
  let bound: ListenerEntry[];
  if (k.listeners === undefined) {
    bound = [{ name: DEFAULT_LISTENER, host: defaultHost, port: k.port ?? DEFAULT_KAFKA_PORT }];
  } else {
    const parsed = parseListenerList(k.listeners);
    for (const message of parsed.problems) problems.push({ path: ['listeners'], message });
    bound = [];
    const ports = new Map<number, string>();
    for (const e of parsed.entries) {
      if (bound.some((b) => b.name === e.name)) {
        problems.push({ path: ['listeners'], message: `listener ${e.name} is given twice (names are unique)` });
        continue;
      }
      const samePort = e.port === 0 ? undefined : ports.get(e.port);
      if (samePort !== undefined) problems.push({ path: ['listeners'], message: `listeners ${samePort} and ${e.name} both use port ${e.port} (ports are unique)` });
      ports.set(e.port, e.name);
      bound.push({ ...e, host: e.host === '' ? defaultHost : e.host });
    }
    const conflict = (key: 'port' | 'advertisedHost' | 'advertisedPort', instead: string) =>
      problems.push({ path: [key], message: `cannot be set together with kafka.listeners (${instead}): remove one of them` });
    if (k.port !== undefined) conflict('port', 'each listener has its own port');
    if (k.advertisedHost !== undefined) conflict('advertisedHost', 'advertise each listener in kafka.advertisedListeners');
    if (k.advertisedPort !== undefined) conflict('advertisedPort', 'advertise each listener in kafka.advertisedListeners');
    if (k.host !== undefined && parsed.entries.length > 0 && parsed.entries.every((e) => e.host !== '')) {
      problems.push({ path: ['host'], message: 'cannot be set together with kafka.listeners when every listener names its host (kafka.host is then unused): remove it, or leave a listener\'s host empty (NAME://:9092) to bind it at kafka.host' });
    }
  }

  const advertised = new Map<string, ListenerEntry>();
  if (k.advertisedListeners !== undefined) {
    const parsed = parseListenerList(k.advertisedListeners);
    for (const message of parsed.problems) problems.push({ path: ['advertisedListeners'], message });
    if (k.listeners === undefined) {
      for (const key of ['advertisedHost', 'advertisedPort'] as const) {
        if (k[key] !== undefined) problems.push({ path: [key], message: 'cannot be set together with kafka.advertisedListeners: remove one of them' });
      }
    }
    for (const e of parsed.entries) {
      if (advertised.has(e.name)) problems.push({ path: ['advertisedListeners'], message: `listener ${e.name} is given twice (names are unique)` });
      else if (!bound.some((b) => b.name === e.name)) {
        const names = bound.map((b) => b.name).join(', ');
        problems.push({ path: ['advertisedListeners'], message: `${e.name} is not a listener (kafka.listeners${k.listeners === undefined ? ' is unset: the one listener is PLAINTEXT' : `: ${names}`})` });
      } else if (e.host === '') problems.push({ path: ['advertisedListeners'], message: `${e.name}: an advertised address needs a host` });
      else if (META_ADDRESSES.has(e.host)) problems.push({ path: ['advertisedListeners'], message: `${e.name}: ${e.host} binds every interface and cannot be advertised: clients need an address they can connect to` });
      else if (e.port === 0) problems.push({ path: ['advertisedListeners'], message: `${e.name}: an advertised port cannot be 0` });
      else advertised.set(e.name, e);
    }
  }

  const listeners = bound.map((b): KafkaListener => {
    const a = advertised.get(b.name);
    if (a !== undefined) return { ...b, advertisedHost: a.host, advertisedPort: a.port };
    if (k.listeners === undefined) return { ...b, advertisedHost: k.advertisedHost ?? b.host, advertisedPort: k.advertisedPort ?? b.port };
    if (META_ADDRESSES.has(b.host)) {
      problems.push({ path: ['listeners'], message: `listener ${b.name} binds ${hostPort(b.host, b.port)}, which clients cannot connect to: give it an address in kafka.advertisedListeners (${b.name}://host:port)` });
    }
    return { ...b, advertisedHost: b.host, advertisedPort: b.port };
  });
  return { listeners, problems };
}

/** `NAME://host:port` of a listener's bound or advertised address, for logs. */
export function describeListener(name: string, host: string, port: number): string {
  return `${name}://${hostPort(host, port)}`;
}
