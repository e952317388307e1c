// What a client of `stratus dev --secure` needs, in the two forms people paste: kcat's
// (librdkafka's) -X flags, and a Java client.properties for Kafka's clients and tools
// (--command-config). The properties file is written next to the CA with the password in
// it (0600); the printed text never holds a password the user gave, and the flags refer to
// the password by its variable or its file, so a shell history does not keep it either.

import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminPasswordSource } from './admin-password.ts';

export const CLIENT_PROPERTIES_FILE = 'client.properties';
export const SECURE_MECHANISM = 'SCRAM-SHA-512';
export const SECURE_PROTOCOL = 'SASL_SSL';

export interface ClientSettingsInput {
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
  readonly passwordSource: AdminPasswordSource;
}

/** A word the shell takes as it is, quoted when it has anything special. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How the kcat flags name the password: its variable, the file it is saved in, or (set in a config file) a placeholder. */
function passwordReference(source: AdminPasswordSource): string {
  switch (source.kind) {
    case 'env':
      return `"$${source.variable}"`;
    case 'saved':
    case 'generated':
      return `"$(cat ${shellWord(source.file)})"`;
    case 'config':
      return source.variable !== undefined ? `"$${source.variable}"` : "'<sasl.adminPassword>'";
  }
}

/** kcat's -X flags (librdkafka's names), without -b. */
export function kcatFlags(i: ClientSettingsInput): string {
  return [
    `-X security.protocol=${SECURE_PROTOCOL}`,
    `-X sasl.mechanisms=${SECURE_MECHANISM}`,
    `-X sasl.username=${shellWord(i.user)}`,
    `-X sasl.password=${passwordReference(i.passwordSource)}`,
    `-X ssl.ca.location=${shellWord(i.caFile)}`,
  ].join(' ');
}

/** A Java string inside sasl.jaas.config's double quotes. */
function jaasQuoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** client.properties lines; the password as given (for the file) or as a placeholder (for the screen). */
export function clientProperties(i: ClientSettingsInput, password: string): string {
  // Properties files treat backslashes as escapes: doubled once more for the file format.
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasQuoted(i.user)} password=${jaasQuoted(password)};`;
  return [
    `security.protocol=${SECURE_PROTOCOL}`,
    `sasl.mechanism=${SECURE_MECHANISM}`,
    `sasl.jaas.config=${jaas.replace(/\\/g, '\\\\')}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${i.caFile.replace(/\\/g, '\\\\')}`,
    '',
  ].join('\n');
}

/** Writes tlsDir/client.properties with the password (0600); returns its path. */
export function writeClientProperties(tlsDir: string, i: ClientSettingsInput): string {
  const file = join(tlsDir, CLIENT_PROPERTIES_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, clientProperties(i, i.password), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
