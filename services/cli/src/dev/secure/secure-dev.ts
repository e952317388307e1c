// `stratus dev --secure` (`npm start -- --secure`): the one-command secure start. Over the
// configuration as loaded, it
//  - makes (or reuses) a CA and a broker certificate under <data-dir>/tls/ (certificates.ts)
//    for localhost, 127.0.0.1, ::1 and every listener's advertised and bound host;
//  - turns every PLAINTEXT listener into SASL_SSL with that certificate (the default
//    listener, named PLAINTEXT, is renamed SASL_SSL as Kafka's default map would name it);
//    listeners the configuration already secures keep their settings;
//  - requires SCRAM-SHA-512, with the super user `admin` (sasl.adminUser if set) and its
//    password (admin-password.ts);
//  - turns the ACL authorizer on with that user among the super users (default deny for
//    everyone else);
//  - writes <data-dir>/tls/client.properties and gives the text `stratus dev` prints in
//    place of its plaintext "Try it" lines: the kcat flags and the Java properties.
// Everything else comes from the configuration as it was.

import { resolve } from 'node:path';
import type { StratusConfig } from '../../config/schema.ts';
import type { KafkaListener } from '../../config/listeners.ts';
import { DEFAULT_LISTENER } from '../../config/listeners.ts';
import { externalPlaintextListeners } from '../../config/plaintext-guard.ts';
import { resolveAdminPassword } from './admin-password.ts';
import type { AdminPassword } from './admin-password.ts';
import { ensureDevTls } from './certificates.ts';
import type { DevTls } from './certificates.ts';
import { clientProperties, kcatFlags, SECURE_MECHANISM, SECURE_PROTOCOL, shellWord, writeClientProperties } from './client-settings.ts';

export const SECURE_ADMIN_USER = 'admin';
/** Addresses that bind every interface: not a name a certificate can carry. */
const META_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::']);
const ALWAYS_NAMED = ['localhost', '127.0.0.1', '::1'];

export interface SecureDev {
  readonly config: StratusConfig;
  readonly tls: DevTls;
  readonly user: string;
  readonly password: AdminPassword;
  readonly clientPropertiesFile: string;
  /** The block printed after the banner, for the first listener's bootstrap address. */
  readonly instructions: (bootstrap: string) => string;
}

export function secureDev(config: StratusConfig, env: NodeJS.ProcessEnv = process.env): SecureDev {
  const dataDir = resolve(config.dataDir);
  const names = [...ALWAYS_NAMED, ...config.kafka.listeners.flatMap((l) => [l.advertisedHost, l.host])].filter((h) => !META_ADDRESSES.has(h));
  const tls = ensureDevTls(dataDir, names);
  const user = config.sasl.adminUser ?? SECURE_ADMIN_USER;
  const password = resolveAdminPassword(tls.dir, config.sasl.adminPassword, env);
  const settings = { caFile: tls.caFile, user, password: password.password, passwordSource: password.source };
  const clientPropertiesFile = writeClientProperties(tls.dir, settings);

  const renameDefault = config.kafka.listeners.length === 1 && config.kafka.listeners[0]!.name === DEFAULT_LISTENER && !config.sasl.listeners.includes(DEFAULT_LISTENER);
  const listeners = config.kafka.listeners.map((l): KafkaListener => {
    if (l.securityProtocol !== 'PLAINTEXT') return l;
    return {
      ...l,
      name: renameDefault ? SECURE_PROTOCOL : l.name,
      securityProtocol: SECURE_PROTOCOL,
      ssl: { certFile: tls.certFile, keyFile: tls.keyFile, caFile: undefined, clientAuth: 'none', principalMappingRules: 'DEFAULT' },
    };
  });
  const superUser = `User:${user}`;
  const secured: StratusConfig = {
    ...config,
    kafka: { ...config.kafka, listeners, allowPlaintextExternal: false },
    sasl: { ...config.sasl, mechanisms: [SECURE_MECHANISM], adminUser: user, adminPassword: password.password },
    authorization: { ...config.authorization, enabled: true, superUsers: config.authorization.superUsers.includes(superUser) ? config.authorization.superUsers : [...config.authorization.superUsers, superUser] },
  };
  // By construction no listener is left plaintext beyond loopback; said, not assumed.
  const open = externalPlaintextListeners(secured);
  if (open.length > 0) throw new Error(`--secure left listener ${open.map((l) => l.name).join(', ')} in plaintext`);

  return {
    config: secured,
    tls,
    user,
    password,
    clientPropertiesFile,
    instructions: (bootstrap) => instructions({ bootstrap, tls, user, password, clientPropertiesFile, flags: kcatFlags(settings), properties: clientProperties(settings, '<the admin password>') }),
  };
}

interface InstructionParts {
  readonly bootstrap: string;
  readonly tls: DevTls;
  readonly user: string;
  readonly password: AdminPassword;
  readonly clientPropertiesFile: string;
  readonly flags: string;
  readonly properties: string;
}

function passwordLine(p: AdminPassword): string {
  switch (p.source.kind) {
    case 'env':
      return `from ${p.source.variable}`;
    case 'config':
      return p.source.variable !== undefined ? `from ${p.source.variable}` : 'sasl.adminPassword, from the configuration file';
    case 'saved':
      return `in ${p.source.file} (generated by an earlier start)`;
    case 'generated':
      // The one place a password is shown: it was just made, and nobody else knows it.
      return `${p.password}   (generated now, shown this once; saved in ${p.source.file}, 0600)`;
  }
}

function instructions(i: InstructionParts): string {
  const b = shellWord(i.bootstrap);
  const caNote = i.tls.ca === 'reused' ? 'reused' : i.tls.ca === 'created' ? 'created now: clients trust this file' : 'made anew (the old one neared its end): clients must trust this file again';
  const indent = (text: string) => text.trimEnd().split('\n').map((line) => `    ${line}`).join('\n');
  return `  Secure: ${SECURE_PROTOCOL} with ${SECURE_MECHANISM}, ACLs on (User:${i.user} is a super user; everyone else is denied until granted)
    CA certificate    ${i.tls.caFile}  (${caNote})
    User              ${i.user}
    Password          ${passwordLine(i.password)}

  kcat (librdkafka) flags:
    ${i.flags}

  Java clients and Kafka's tools: --command-config ${i.clientPropertiesFile}
  (written 0600 with the password), which holds:
${indent(i.properties)}

  Try it:
    echo "hello stratus" | kcat -b ${b} ${i.flags} -t quickstart -P
    kcat -b ${b} ${i.flags} -t quickstart -C -e
`;
}
