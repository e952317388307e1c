// The password of the super user `stratus dev --secure` creates. In order: the
// STRATUS_ADMIN_PASSWORD variable, sasl.adminPassword (STRATUS_SASL_ADMIN_PASSWORD or the
// file), the one an earlier start generated (<data-dir>/tls/admin-password), or a new one,
// generated and saved there (0600) so that clients keep working across restarts. Only a
// generated password is ever written, and only a newly generated one is shown (once, by
// the caller); a password given by the user is neither written nor shown.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_PASSWORD_ENV = 'STRATUS_ADMIN_PASSWORD';
/** sasl.adminPassword's own variable; set, it is where the value came from (variables override a file). */
const CONFIG_PASSWORD_ENV = 'STRATUS_SASL_ADMIN_PASSWORD';
export const ADMIN_PASSWORD_FILE = 'admin-password';
/** The schema's minimum for sasl.adminPassword. */
const MIN_LENGTH = 8;
/** 24 characters of base64url: 144 random bits. */
const GENERATED_BYTES = 18;

export type AdminPasswordSource =
  | { readonly kind: 'env'; readonly variable: string }
  /** sasl.adminPassword; variable: when it came from STRATUS_SASL_ADMIN_PASSWORD. */
  | { readonly kind: 'config'; readonly variable?: string }
  | { readonly kind: 'saved'; readonly file: string }
  | { readonly kind: 'generated'; readonly file: string };

export interface AdminPassword {
  readonly password: string;
  readonly source: AdminPasswordSource;
}

export class AdminPasswordError extends Error {}

export function resolveAdminPassword(tlsDir: string, configured: string | undefined, env: NodeJS.ProcessEnv): AdminPassword {
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH) throw new AdminPasswordError(`${ADMIN_PASSWORD_ENV}: at least ${MIN_LENGTH} characters`);
    return { password: fromEnv, source: { kind: 'env', variable: ADMIN_PASSWORD_ENV } };
  }
  if (configured !== undefined) return { password: configured, source: env[CONFIG_PASSWORD_ENV] !== undefined ? { kind: 'config', variable: CONFIG_PASSWORD_ENV } : { kind: 'config' } };
  const file = join(tlsDir, ADMIN_PASSWORD_FILE);
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length < MIN_LENGTH) throw new AdminPasswordError(`${file}: the saved admin password is shorter than ${MIN_LENGTH} characters; remove the file to have a new one generated`);
    chmodSync(file, 0o600);
    return { password: saved, source: { kind: 'saved', file } };
  }
  const password = randomBytes(GENERATED_BYTES).toString('base64url');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return { password, source: { kind: 'generated', file } };
}
