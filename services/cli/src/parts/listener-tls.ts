// The Kafka listeners as the broker's network layer takes them (ListenerAddress): each
// with its security protocol and, for SSL and SASL_SSL, its TLS — a context that follows
// its PEM files, client authentication, and the principal mapping rules — plus the log
// lines TLS needs: what each listener serves at start and after a reload, a reload that
// failed (warn: the old certificate stays), and at debug each TLS connection's principal
// and each connection closed for a TLS problem (a plaintext client on an SSL port, a
// refused certificate, the handshake timeout), once per connection.

import { ReloadingTlsContext, SslPrincipalMapper } from '@stratus/broker';
import type { BrokerOptions, ListenerAddress } from '@stratus/broker';
import { principalString } from '@stratus/broker';
import type { StratusConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';

type Network = NonNullable<BrokerOptions['network']>;

/** `log` absent: nothing is logged (benchmarks and tests that build a broker's settings without a process). */
export function listenerNetwork(k: StratusConfig['kafka'], log: Logger | undefined): Pick<Network, 'listeners' | 'tlsHandshakeTimeoutMs' | 'onTlsProblem' | 'onTlsEstablished'> {
  const listeners = k.listeners.map((l): ListenerAddress => {
    const base = { name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol };
    if (l.ssl === undefined) return base;
    const { certFile, keyFile, caFile, clientAuth, principalMappingRules } = l.ssl;
    let context: ReloadingTlsContext;
    try {
      context = new ReloadingTlsContext({
        certFile,
        keyFile,
        caFile,
        reloadIntervalMs: k.ssl.reloadInterval,
        onReload: (served) => log?.info({ listener: l.name, certificate: served }, `listener ${l.name}: TLS certificate reloaded from ${certFile} (serial ${served.serialNumber}, valid to ${served.validTo})`),
        onReloadFailed: (err) => log?.warn({ listener: l.name, err: err.message }, `listener ${l.name}: the changed TLS files do not load (${err.message}); still serving the previous certificate`),
      });
    } catch (e) {
      throw new Error(`listener ${l.name}: cannot load its TLS certificate and key (${certFile}, ${keyFile}${caFile === undefined ? '' : `, CA ${caFile}`}): ${(e as Error).message}`, { cause: e });
    }
    const served = context.served;
    log?.info({ listener: l.name, certificate: served, clientAuth }, `listener ${l.name} (${l.securityProtocol}) serves ${served.subject} (serial ${served.serialNumber}, valid to ${served.validTo}), client auth ${clientAuth}`);
    return { ...base, tls: { context, clientAuth, principalMapper: new SslPrincipalMapper(principalMappingRules) } };
  });
  return {
    listeners,
    tlsHandshakeTimeoutMs: k.ssl.handshakeTimeout,
    onTlsProblem: (p) => log?.debug({ listener: p.listenerName, client: p.remoteAddress }, `connection from ${p.remoteAddress} on listener ${p.listenerName} closed: ${p.reason}`),
    onTlsEstablished: (conn, version) => {
      const principal = conn.session === undefined ? 'User:ANONYMOUS' : principalString(conn.session.principal);
      log?.debug({ listener: conn.listenerName, client: conn.remoteAddress, principal, tls: version }, `connection ${conn.connectionId} from ${conn.remoteAddress} on listener ${conn.listenerName}: ${version}, principal ${principal}`);
    },
  };
}
