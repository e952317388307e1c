// Secure by default (docs/security.md): a Kafka listener that accepts plaintext without
// authentication on an address beyond loopback is open to anyone who can reach it — every
// topic, every group, every ACL. `stratus dev` and `stratus broker` refuse to start that way
// unless the configuration says plaintext is intended (kafka.allowPlaintextExternal=true,
// STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL=true), as a compose network or a chart with its
// security turned off does. A listener with a security protocol (SSL, SASL_PLAINTEXT,
// SASL_SSL), or a PLAINTEXT one named in sasl.listeners (its clients must authenticate),
// is not plaintext in this sense. Checked on the whole configuration (the kafka and sasl
// sections together), so `stratus config check` reports it too.

import { isIP } from 'node:net';

/** What the check reads: the resolved listeners, the flag, and which listeners require SASL. */
interface Checked {
  readonly kafka: {
    readonly host: string;
    readonly allowPlaintextExternal: boolean;
    readonly listeners: readonly { readonly name: string; readonly host: string; readonly port: number; readonly securityProtocol: string }[];
  };
  readonly sasl: { readonly listeners: readonly string[] };
}

/** Whether binding `host` keeps a listener on this machine: localhost, 127.0.0.0/8, ::1 (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  // Any other name resolves to who knows what: beyond loopback.
  return false;
}

/** The listeners that would accept unauthenticated plaintext beyond loopback (empty when allowed). */
export function externalPlaintextListeners(config: Checked): Checked['kafka']['listeners'] {
  if (config.kafka.allowPlaintextExternal) return [];
  return config.kafka.listeners.filter((l) => l.securityProtocol === 'PLAINTEXT' && !config.sasl.listeners.includes(l.name) && !isLoopbackHost(l.host));
}

/** The part of zod's refinement context the check uses. */
interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** The refinement both schemas (dev's, broker's) apply to the whole configuration. */
export function refusePlaintextExternal(config: Checked, ctx: IssueSink): void {
  // zod runs this even when a section failed its own checks (its value is then the input, unresolved): nothing to add then.
  if (!Array.isArray(config.kafka?.listeners) || !Array.isArray(config.sasl?.listeners)) return;
  for (const l of externalPlaintextListeners(config)) {
    const where = l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
    ctx.addIssue({
      code: 'custom',
      // The one default listener is kafka.host's; a listener of the list is kafka.listeners'.
      path: ['kafka', l.name === 'PLAINTEXT' && l.host === config.kafka.host && config.kafka.listeners.length === 1 ? 'host' : 'listeners'],
      message:
        `listener ${l.name} would accept plaintext without authentication on ${where}, beyond loopback, where anyone who reaches it can do anything: ` +
        'give it a security protocol (kafka.listenerSecurityProtocolMap: SASL_SSL, SSL or SASL_PLAINTEXT; or stratus dev --secure), bind it to 127.0.0.1, ' +
        'or, if plaintext is intended (a private network), set kafka.allowPlaintextExternal=true (STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL=true)',
    });
  }
}
