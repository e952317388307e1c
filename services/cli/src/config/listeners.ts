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
// controller.
//
// Security protocols (docs/security.md, Listeners and TLS): kafka.listenerSecurityProtocolMap
// is Kafka's listener.security.protocol.map, `NAME:PROTOCOL,...` with PLAINTEXT, SSL,
// SASL_PLAINTEXT, SASL_SSL. Set, it must name every listener (Kafka refuses a listener
// without a protocol). Unset, a listener named like a protocol has that protocol — Kafka's
// default map — and any other name is PLAINTEXT, as every listener was before protocols
// existed. An SSL or SASL_SSL listener takes its TLS settings from kafka.ssl, with
// per-listener overrides in kafka.listenerSsl.<NAME> (Kafka's listener.name.<name>.ssl.*).

/** One `NAME://host:port` entry as written (host '' when left empty; IPv6 without its brackets). */
export interface ListenerEntry {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** Kafka's security protocols (listener.security.protocol.map's values). */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SSL_CLIENT_AUTH = ['none', 'requested', 'required'] as const;
export type SslClientAuth = (typeof SSL_CLIENT_AUTH)[number];

/** kafka.ssl, and each kafka.listenerSsl entry (every key optional there: unset ones come from kafka.ssl). */
export interface SslKeys {
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly caFile?: string | undefined;
  readonly clientAuth?: SslClientAuth | undefined;
  readonly principalMappingRules?: string | undefined;
}

/** The TLS settings of one SSL or SASL_SSL listener. */
export interface ListenerSsl {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
  readonly clientAuth: SslClientAuth;
  readonly principalMappingRules: string;
}

/** A listener as the broker runs it: where it binds, what its clients are told, and how they connect. */
export interface KafkaListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  readonly securityProtocol: SecurityProtocol;
  /** SSL and SASL_SSL listeners only. */
  readonly ssl?: ListenerSsl;
}

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';

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
  readonly listenerSecurityProtocolMap?: string | undefined;
  readonly ssl?: SslKeys | undefined;
  readonly listenerSsl?: Readonly<Record<string, SslKeys>> | undefined;
}

/** Parses `NAME:PROTOCOL,...`; every malformed entry is one problem. */
export function parseSecurityProtocolMap(text: string): { map: Map<string, SecurityProtocol>; problems: string[] } {
  const map = new Map<string, SecurityProtocol>();
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([^:]+):(.+)$/.exec(item);
    const name = m?.[1]?.trim() ?? '';
    const protocol = m?.[2]?.trim() ?? '';
    if (m === null || !NAME.test(name)) problems.push(`"${item}" is not NAME:PROTOCOL (a listener name, then one of ${SECURITY_PROTOCOLS.join(', ')})`);
    else if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) problems.push(`"${item}": ${protocol} is not a security protocol (${SECURITY_PROTOCOLS.join(', ')})`);
    else if (map.has(name)) problems.push(`listener ${name} is given twice`);
    else map.set(name, protocol as SecurityProtocol);
  }
  return { map, problems };
}

/** Kafka's default map: a listener named like a protocol has it; Stratus adds: any other name is PLAINTEXT. */
function defaultProtocol(name: string): SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(name) ? (name as SecurityProtocol) : 'PLAINTEXT';
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

  const protocols = protocolsOf(k, bound, problems);
  const listeners = bound.map((b): KafkaListener => {
    const securityProtocol = protocols.get(b.name) ?? 'PLAINTEXT';
    const ssl = usesTls(securityProtocol) ? sslOf(k, b.name, problems) : undefined;
    const security = { securityProtocol, ...(ssl === undefined ? {} : { ssl }) };
    const a = advertised.get(b.name);
    if (a !== undefined) return { ...b, advertisedHost: a.host, advertisedPort: a.port, ...security };
    if (k.listeners === undefined) return { ...b, advertisedHost: k.advertisedHost ?? b.host, advertisedPort: k.advertisedPort ?? b.port, ...security };
    if (META_ADDRESSES.has(b.host)) {
      problems.push({ path: ['listeners'], message: `listener ${b.name} binds ${hostPort(b.host, b.port)}, which clients cannot connect to: give it an address in kafka.advertisedListeners (${b.name}://host:port)` });
    }
    return { ...b, advertisedHost: b.host, advertisedPort: b.port, ...security };
  });
  for (const name of Object.keys(k.listenerSsl ?? {})) {
    const l = listeners.find((x) => x.name === name);
    if (l === undefined) problems.push({ path: ['listenerSsl', name], message: `${name} is not a listener (kafka.listeners: ${listeners.map((x) => x.name).join(', ')})` });
    else if (!usesTls(l.securityProtocol)) problems.push({ path: ['listenerSsl', name], message: `listener ${name} is ${l.securityProtocol}, which does not use TLS: its protocol (kafka.listenerSecurityProtocolMap) must be SSL or SASL_SSL` });
  }
  return { listeners, problems };
}

/** Each bound listener's security protocol, from the map or the default. */
function protocolsOf(k: ListenerKeys, bound: readonly ListenerEntry[], problems: ListenerProblem[]): Map<string, SecurityProtocol> {
  if (k.listenerSecurityProtocolMap === undefined) return new Map(bound.map((b) => [b.name, defaultProtocol(b.name)]));
  const parsed = parseSecurityProtocolMap(k.listenerSecurityProtocolMap);
  for (const message of parsed.problems) problems.push({ path: ['listenerSecurityProtocolMap'], message });
  for (const b of bound) {
    if (!parsed.map.has(b.name) && parsed.problems.length === 0) {
      problems.push({ path: ['listenerSecurityProtocolMap'], message: `no security protocol for listener ${b.name}: add ${b.name}:PLAINTEXT (or SSL, SASL_PLAINTEXT, SASL_SSL)` });
    }
  }
  return parsed.map;
}

/** A TLS listener's settings: kafka.listenerSsl.<NAME> over kafka.ssl; certificate and key are required. */
function sslOf(k: ListenerKeys, name: string, problems: ListenerProblem[]): ListenerSsl | undefined {
  const own = k.listenerSsl?.[name] ?? {};
  const pick = <K extends keyof SslKeys>(key: K): SslKeys[K] => own[key] ?? k.ssl?.[key];
  const certFile = pick('certFile');
  const keyFile = pick('keyFile');
  const missing = [certFile === undefined ? 'certFile' : undefined, keyFile === undefined ? 'keyFile' : undefined].filter((x) => x !== undefined);
  if (missing.length > 0) {
    for (const key of missing) problems.push({ path: ['ssl', key], message: `required: listener ${name} uses TLS (set kafka.ssl.${key}, or kafka.listenerSsl.${name}.${key})` });
    return undefined;
  }
  return { certFile: certFile!, keyFile: keyFile!, caFile: pick('caFile'), clientAuth: pick('clientAuth') ?? 'none', principalMappingRules: pick('principalMappingRules') ?? 'DEFAULT' };
}

/** `NAME://host:port` of a listener's bound or advertised address, for logs. */
export function describeListener(name: string, host: string, port: number): string {
  return `${name}://${hostPort(host, port)}`;
}
