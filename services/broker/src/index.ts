// Public entry of @stratus/broker.

export { Broker } from './broker.ts';
export type { BrokerOptions } from './broker.ts';
export type { BrokerConfig, BrokerContext } from './broker-context.ts';
export { Dispatcher } from './dispatcher.ts';
export { CloseConnection, NO_RESPONSE } from './handler.ts';
export type { DispatchResult, ProblemConnection } from './dispatcher.ts';
export { AclOperation } from './auth/authorized-operations.ts';
export type { AclOperationCode, AclResourceType, Authorizer } from './auth/authorized-operations.ts';
export { AclAuthorizer } from './auth/acl-authorizer.ts';
export type { AclAuthorizerOptions, AuthorizationDecision } from './auth/acl-authorizer.ts';
export { ClientQuotas, DEFAULT_QUOTA_SETTINGS } from './quotas/client-quotas.ts';
export type { QuotaEntityStats, QuotaType } from './quotas/client-quotas.ts';
export type { QuotaSensorSettings } from './quotas/quota-sensors.ts';
export { DEFAULT_LISTENER_NAME, KAFKA_SERVER_DEFAULTS, parseConnectionsPerIpOverrides, UNLIMITED_CONNECTIONS_PER_IP } from './network/index.ts';
export type { BoundListener, KafkaServerStats, ListenerAddress } from './network/index.ts';
export { DEFAULT_TLS_RELOAD_INTERVAL_MS, ReloadingTlsContext } from './network/index.ts';
export type { ListenerTls, ServedCertificate, SslClientAuth, TlsProblem } from './network/index.ts';
export { DEFAULT_PRINCIPAL_MAPPING_RULES, SslPrincipalMapper } from './auth/tls/principal-mapping.ts';
export { principalString } from './auth/principal.ts';
export { OAUTHBEARER_ALGORITHMS, OAUTHBEARER_DEFAULTS, OAuthBearerValidator, ControllerCredentialStore, SaslAuthenticator, StaticCredentialStore, SASL_MECHANISMS } from './auth/sasl/index.ts';
export type { ControllerCredentialStoreOptions, CredentialStore, OAuthBearerAlgorithm, SaslAuthenticatorOptions, SaslEvent, SaslMechanism } from './auth/sasl/index.ts';
