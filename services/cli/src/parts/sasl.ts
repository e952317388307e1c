// The broker's SASL authenticator from the sasl section (dev and broker): undefined when
// no listener asks for SASL — none named in sasl.listeners and none whose security
// protocol (kafka.listenerSecurityProtocolMap) is SASL_PLAINTEXT or SASL_SSL — so nothing
// changes then. SCRAM users created with kafka-configs.sh live in the controller and are
// looked up through it (ControllerCredentialStore). Bootstrap users are hashed here,
// once, into SCRAM credentials; their passwords go no further. Failed authentications are
// logged rate-limited (one line per interval, with the count of the rest) and without
// the user name — a mistyped password is sometimes typed into it.

import { OAuthBearerValidator, SaslAuthenticator, StaticCredentialStore } from '@stratus/broker';
import { ControllerCredentialStore } from '@stratus/broker';
import type { BrokerOptions, ControllerCredentialStoreOptions, SaslEvent } from '@stratus/broker';
import type { Clock } from '@stratus/runtime';
import type { StratusConfig } from '../config/schema.ts';
import { rateLimitedWarn } from '../log-limiter.ts';
import type { Logger } from '../logger.ts';
import type { SecurityMetrics } from '../metrics/security-metrics.ts';

/** A listener: its security protocol once the listener map gives listeners one (absent: PLAINTEXT). */
interface Listener {
  readonly name: string;
  readonly securityProtocol?: string;
}
type Sections = Pick<StratusConfig, 'sasl'> & { readonly kafka: { readonly listeners: readonly Listener[] } };

export function saslSettings(config: Sections, clock: Clock, log: Logger, metrics?: Pick<SecurityMetrics, 'authentication'>, controller?: ControllerCredentialStoreOptions['controller']): Pick<BrokerOptions, 'sasl'> {
  const s = config.sasl;
  const names = config.kafka.listeners.map((l) => l.name);
  const unknown = s.listeners.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new RangeError(`sasl.listeners names ${unknown.join(', ')}, not a listener of kafka.listeners (${names.join(', ')})`);
  const byProtocol = config.kafka.listeners.filter((l) => l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL').map((l) => l.name);
  const saslListeners = [...new Set([...s.listeners, ...byProtocol])];
  if (saslListeners.length === 0) return {};
  const users = [...(s.adminUser !== undefined && s.adminPassword !== undefined ? [{ name: s.adminUser, password: s.adminPassword }] : []), ...s.users];
  if (users.length === 0 && s.mechanisms.some((m) => m !== 'OAUTHBEARER')) throw new RangeError(`listener ${saslListeners.join(', ')} requires SASL, which has no user: set sasl.adminUser and sasl.adminPassword (STRATUS_SASL_ADMIN_USER, STRATUS_SASL_ADMIN_PASSWORD), or sasl.users`);
  const warn = rateLimitedWarn(log);
  const onEvent = (e: SaslEvent): void => {
    metrics?.authentication(e.mechanism, e.kind === 'authenticated', e.reauthentication);
    if (e.kind === 'failed') warn({ mechanism: e.mechanism, remote: e.remoteAddress, reason: e.reason, reauthentication: e.reauthentication }, 'SASL authentication failed', 'sasl-failed');
    else log.debug({ mechanism: e.mechanism, principal: e.principal, remote: e.remoteAddress, reauthentication: e.reauthentication }, 'SASL authenticated');
  };
  const sasl = new SaslAuthenticator({
    mechanisms: s.mechanisms,
    ...(s.mechanisms.includes('OAUTHBEARER') && s.oauthbearer ? { oauthbearer: oauthBearerValidator(s.oauthbearer, clock, warn) } : {}),
    wallMs: () => clock.nowMs(),
    // SCRAM credentials stored in the controller (AlterUserScramCredentials) after the configured users, which win.
    credentials: controller ? new ControllerCredentialStore({ controller, bootstrap: new StaticCredentialStore(users, s.scramIterations), nowMs: () => clock.monotonicMs() }) : new StaticCredentialStore(users, s.scramIterations),
    listeners: saslListeners,
    maxReauthMs: s.maxReauth ?? 0,
    failedAuthenticationDelayMs: s.failedAuthenticationDelay,
    failures: { maxFailures: s.maxFailuresPerAddress, windowMs: s.failureWindow },
    maxReceiveBytes: s.maxReceiveSize,
    iterations: s.scramIterations,
    nowMs: () => clock.monotonicMs(),
    onEvent,
  });
  log.info({ listeners: saslListeners, mechanisms: s.mechanisms, users: users.length }, `SASL required on ${saslListeners.join(', ')} (${s.mechanisms.join(', ')})`);
  return { sasl };
}

/** The OAUTHBEARER token validator from sasl.oauthbearer (a JWKS file is read now: a bad one stops the start). */
function oauthBearerValidator(o: NonNullable<StratusConfig['sasl']['oauthbearer']>, clock: Clock, warn: ReturnType<typeof rateLimitedWarn>): OAuthBearerValidator {
  return new OAuthBearerValidator({
    jwks: o.jwksFile !== undefined ? { file: o.jwksFile } : { url: o.jwksUrl! },
    issuer: o.issuer,
    audience: o.audience,
    subClaim: o.subClaim,
    scopeClaim: o.scopeClaim,
    clockSkewMs: o.clockSkew,
    algorithms: o.allowedAlgorithms,
    jwksTimeoutMs: o.jwksTimeout,
    jwksRefreshMs: o.jwksRefresh,
    nowMs: () => clock.nowMs(),
    onJwksError: (reason) => warn({ reason }, 'OAUTHBEARER JWKS URL did not answer a refresh; the keys it gave last stay in use', 'oauthbearer-jwks'),
  });
}
