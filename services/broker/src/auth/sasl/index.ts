export { SaslAuthenticator, MIN_REAUTH_INTERVAL_MS } from './authenticator.ts';
export type { SaslAuthenticatorOptions, SaslConnection, SaslEvent } from './authenticator.ts';
export { StaticCredentialStore } from './credential-store.ts';
export type { BootstrapUser, CredentialStore } from './credential-store.ts';
export { SASL_MECHANISMS, SCRAM_MIN_ITERATIONS, isSaslMechanism, PLAIN, SCRAM_SHA_256, SCRAM_SHA_512 } from './mechanisms.ts';
export type { SaslMechanism, ScramMechanism } from './mechanisms.ts';
export { scramCredential } from './scram.ts';
export type { ScramCredential } from './scram.ts';
