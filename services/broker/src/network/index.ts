// Public surface of the broker's network layer: the Kafka TCP listener and its options
// and counters. Internals (framing, budgets, connections) are imported by tests directly.

export { KafkaServer, DEFAULT_DRAIN_TIMEOUT_MS } from './server.ts';
export type { BoundListener, CloseOptions } from './server.ts';
export type { DispatchFn } from './connection.ts';
export { DEFAULT_LISTENER_NAME, KAFKA_SERVER_DEFAULTS } from './options.ts';
export { parseConnectionsPerIpOverrides, UNLIMITED_CONNECTIONS_PER_IP } from './ip-limits.ts';
export type { KafkaServerOptions, ListenerAddress } from './options.ts';
export type { KafkaServerStats } from './stats.ts';
export { ReloadingTlsContext, DEFAULT_TLS_RELOAD_INTERVAL_MS, TLS_MIN_VERSION } from './tls/tls-context.ts';
export type { ServedCertificate, TlsContextOptions, TlsFiles } from './tls/tls-context.ts';
export type { ListenerTls, SslClientAuth } from './tls/tls-handshake.ts';
export type { TlsProblem } from './options.ts';
