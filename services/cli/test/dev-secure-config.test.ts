// What `stratus dev --secure` does to the configuration it is given (dev/secure/secure-dev.ts):
// PLAINTEXT listeners become SASL_SSL with the certificate it made (the default one renamed,
// named ones kept), listeners already secured are left alone, SCRAM-SHA-512 with the admin
// user, the authorizer on with that user among the super users, nothing left for the
// plaintext guard; the certificate names the advertised hosts; the password's sources; and
// --secure is refused by the other commands. The real start: test/dev/dev-secure.test.ts.

import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { externalPlaintextListeners } from '../src/config/plaintext-guard.ts';
import { secureDev } from '../src/dev/secure/secure-dev.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stratus-secure-config-'));
  dirs.push(d);
  return d;
}

/** As main.ts loads it for --secure: the plaintext guard is satisfied by what --secure does. */
const load = (dir: string, env: Record<string, string>) => loadConfig({ env, flags: { dataDir: dir, 'kafka.allowPlaintextExternal': 'true' } });

describe('stratus dev --secure, its configuration', () => {
  it('the default listener, even on 0.0.0.0: SASL_SSL with the made certificate, which names the advertised host; SCRAM-SHA-512, admin, ACLs on', () => {
    const dir = dataDir();
    const s = secureDev(load(dir, { STRATUS_KAFKA_HOST: '0.0.0.0', STRATUS_KAFKA_ADVERTISED_HOST: 'kafka.example' }), {});
    expect(s.config.kafka.listeners).toEqual([
      {
        name: 'SASL_SSL',
        host: '0.0.0.0',
        port: 9092,
        advertisedHost: 'kafka.example',
        advertisedPort: 9092,
        securityProtocol: 'SASL_SSL',
        ssl: { certFile: join(dir, 'tls', 'broker.pem'), keyFile: join(dir, 'tls', 'broker-key.pem'), caFile: undefined, clientAuth: 'none', principalMappingRules: 'DEFAULT' },
      },
    ]);
    expect(s.config.kafka.allowPlaintextExternal).toBe(false);
    expect(externalPlaintextListeners(s.config)).toEqual([]);
    expect(s.config.sasl).toMatchObject({ mechanisms: ['SCRAM-SHA-512'], adminUser: 'admin', listeners: [] });
    expect(s.config.authorization).toEqual({ enabled: true, superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false });
    expect(new X509Certificate(readFileSync(s.tls.certFile)).subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:kafka.example, DNS:localhost');
    expect(s.password.source).toEqual({ kind: 'generated', file: join(dir, 'tls', 'admin-password') });
    expect(readFileSync(s.clientPropertiesFile, 'utf8')).toContain(`password="${s.password.password}";`);
    expect((statSync(s.clientPropertiesFile).mode & 0o777).toString(8)).toBe('600');
    // The printed block shows a newly generated password once, and never in the properties or flags.
    const text = s.instructions('kafka.example:9092');
    expect(text.split(s.password.password).length - 1).toBe(1);
    expect(text).toContain(`kcat -b kafka.example:9092 -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=admin -X sasl.password="$(cat ${join(dir, 'tls', 'admin-password')})" -X ssl.ca.location=${join(dir, 'tls', 'ca.pem')} -t quickstart -P`);
  });

  it('named listeners keep their names; one already secured keeps its settings; super users and the admin name are kept', () => {
    const dir = dataDir();
    const config = load(dir, {
      STRATUS_KAFKA_LISTENERS: 'INTERNAL://127.0.0.1:19092,CLIENTS://127.0.0.1:19093',
      STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,CLIENTS:SSL',
      STRATUS_KAFKA_SSL_CERT_FILE: '/etc/tls/c.pem',
      STRATUS_KAFKA_SSL_KEY_FILE: '/etc/tls/k.pem',
      STRATUS_AUTHORIZATION_SUPER_USERS: 'User:ops,User:root',
      STRATUS_SASL_ADMIN_USER: 'root',
      STRATUS_SASL_ADMIN_PASSWORD: 'from-the-config-1',
    });
    const s = secureDev(config, { STRATUS_SASL_ADMIN_PASSWORD: 'from-the-config-1' });
    expect(s.config.kafka.listeners.map((l) => [l.name, l.securityProtocol, l.ssl?.certFile])).toEqual([
      ['INTERNAL', 'SASL_SSL', join(dir, 'tls', 'broker.pem')],
      ['CLIENTS', 'SSL', '/etc/tls/c.pem'],
    ]);
    expect(s.config.authorization.superUsers).toEqual(['User:ops', 'User:root']);
    expect(s.user).toBe('root');
    expect(s.password.source).toEqual({ kind: 'config', variable: 'STRATUS_SASL_ADMIN_PASSWORD' });
    const text = s.instructions('127.0.0.1:19092');
    expect(text).not.toContain('from-the-config-1');
    expect(text).toContain('-X sasl.password="$STRATUS_SASL_ADMIN_PASSWORD"');
  });

  it('STRATUS_ADMIN_PASSWORD wins and is neither saved nor shown; a saved one is reused', () => {
    const dir = dataDir();
    const first = secureDev(load(dir, {}), {});
    const again = secureDev(load(dir, {}), {});
    expect(again.password).toEqual({ password: first.password.password, source: { kind: 'saved', file: join(dir, 'tls', 'admin-password') } });
    expect(again.instructions('127.0.0.1:9092')).not.toContain(first.password.password);
    const fromEnv = secureDev(load(dir, {}), { STRATUS_ADMIN_PASSWORD: 'an-env-password-9' });
    expect(fromEnv.password).toEqual({ password: 'an-env-password-9', source: { kind: 'env', variable: 'STRATUS_ADMIN_PASSWORD' } });
    expect(fromEnv.instructions('127.0.0.1:9092')).not.toContain('an-env-password-9');
    expect(readFileSync(join(dir, 'tls', 'admin-password'), 'utf8').trim()).toBe(first.password.password);
  });

  it('--secure is for stratus dev only', () => {
    const r = spawnSync(process.execPath, [MAIN, 'broker', '--secure'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^stratus broker: --secure does not apply to 'stratus broker'/);
  });
});
