// The chart's Kafka security (values `security`, templates/broker/kafka-security.yaml),
// rendered by the real helm and checked without a cluster:
//  - by default every listener is SASL_SSL, SCRAM-SHA-512 only, the authorizer on with the
//    admin user as super user, the password from a Secret the chart makes (never in the
//    ConfigMap), the certificate from a chart-made CA: OpenSSL-checked chain, names every
//    client address (bootstrap Service, each broker's headless name, external hosts), key
//    matching — and the whole broker environment passes `stratus config check`;
//  - Secrets of the user's are referenced as they are; a cert-manager issuer gives a
//    Certificate for the same names instead of the chart's CA;
//  - security.enabled=false is plaintext said explicitly (kafka.allowPlaintextExternal);
//  - a real `stratus dev` given the chart's security settings, certificate and password
//    serves kcat, which checks the certificate against the chart's ca.crt by name;
//  - values.schema.json refuses PLAIN and a malformed super user; kubeconform validates
//    every object (the Certificate has no schema offline: its shape is asserted here).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { checkServerIdentity } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8S_SCHEMA_VERSION } from '../../helm/tools/config-schema.ts';
import { containerEnv, find, helmTemplate, NAMESPACE, ofKind, RELEASE, ROOT } from './lib/helm-chart.ts';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';
import type { K8sObject, RenderOptions } from './lib/helm-chart.ts';

const CLI = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const FULL = `${RELEASE}-stratus`;
const BROKER = `${FULL}-broker`;
const HEADLESS = `${FULL}-broker-headless`;
const TLS_DIR = '/etc/stratus/kafka-tls';
const EXTERNAL_HOSTS = ['broker-{index}.kafka.example.com'];

let helm: string;
let kubeconform: string;
let schemaRoot: string;
let work: string;

function peer(script: string): string {
  return execFileSync('bash', [join(ROOT, 'test', 'peers', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function render(options: RenderOptions = {}): readonly K8sObject[] {
  const r = helmTemplate(helm, options);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.objects;
}

const pod = (objects: readonly K8sObject[]) => find(objects, 'StatefulSet', BROKER).spec.template;
const broker = (objects: readonly K8sObject[]) => pod(objects).spec.containers.find((c: { name: string }) => c.name === 'broker');
const configMap = (objects: readonly K8sObject[]) => find(objects, 'ConfigMap', BROKER).data!;
const brokerEnv = (objects: readonly K8sObject[]) =>
  containerEnv(objects, broker(objects), { name: `${BROKER}-1`, labels: { ...pod(objects).metadata.labels, 'apps.kubernetes.io/pod-index': '1' }, podIP: '10.8.0.12', hostIP: '10.0.0.5', nodeName: 'n' });
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function configCheck(env: Record<string, string>): { status: number; output: string } {
  const file = join(work, 'identity.yaml');
  writeFileSync(file, '{}\n');
  const r = spawnSync(process.execPath, [CLI, 'config', 'check', file, '--for', 'broker', '--env'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function kubeconformOn(objects: readonly K8sObject[], text: string): void {
  const file = join(work, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const r = spawnSync(kubeconform, ['-strict', '-summary', '-output', 'json', '-kubernetes-version', K8S_SCHEMA_VERSION, '-skip', 'Certificate', '-schema-location', `${schemaRoot}/{{ .NormalizedKubernetesVersion }}-standalone-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json`, file], { encoding: 'utf8' });
  expect(r.status, r.stdout).toBe(0);
  const certificates = ofKind(objects, 'Certificate').length;
  expect((JSON.parse(r.stdout) as { summary: unknown }).summary).toEqual({ valid: objects.length - certificates, invalid: 0, errors: 0, skipped: certificates });
}

beforeAll(() => {
  helm = peer('helm.sh');
  kubeconform = peer('kubeconform.sh');
  schemaRoot = peer('k8s-schemas.sh');
  work = mkdtempSync(join(tmpdir(), 'stratus-helm-security-'));
}, 20 * 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('Kafka security, on by default', () => {
  it('every listener SASL_SSL with SCRAM-SHA-512, the authorizer on with the admin user as super user, and nothing plaintext', () => {
    const objects = render();
    expect(configMap(objects)).toMatchObject({
      STRATUS_KAFKA_LISTENERS: 'INTERNAL://:9092',
      STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:SASL_SSL',
      STRATUS_KAFKA_SSL_CERT_FILE: `${TLS_DIR}/tls.crt`,
      STRATUS_KAFKA_SSL_KEY_FILE: `${TLS_DIR}/tls.key`,
      STRATUS_SASL_MECHANISMS: 'SCRAM-SHA-512',
      STRATUS_SASL_ADMIN_USER: 'admin',
      STRATUS_AUTHORIZATION_ENABLED: 'true',
      STRATUS_AUTHORIZATION_SUPER_USERS: 'User:admin',
      STRATUS_AUTHORIZATION_ALLOW_EVERYONE_IF_NO_ACL_FOUND: 'false',
    });
    expect(configMap(objects)).not.toHaveProperty('STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL');
    expect(JSON.stringify(configMap(objects))).not.toContain('PASSWORD');
    const external = render({ set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={203.0.113.10,203.0.113.11,203.0.113.12}', 'security.authorization.superUsers={User:ops}'] });
    expect(configMap(external).STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP).toBe('INTERNAL:SASL_SSL,EXTERNAL:SASL_SSL');
    expect(configMap(external).STRATUS_AUTHORIZATION_SUPER_USERS).toBe('User:admin,User:ops');
  });

  it('the admin password from a Secret the chart makes (random, 32 characters), given to the brokers only; the TLS Secret mounted read-only', () => {
    const objects = render();
    const ref = broker(objects).env.find((e: { name: string }) => e.name === 'STRATUS_SASL_ADMIN_PASSWORD').valueFrom.secretKeyRef;
    expect(ref).toEqual({ name: `${FULL}-kafka-admin`, key: 'password' });
    const password = find(objects, 'Secret', ref.name).stringData!.password!;
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    // Each render without a cluster to look the Secret up in makes a new one: it is random.
    expect(find(render(), 'Secret', ref.name).stringData!.password).not.toBe(password);
    const controller = find(objects, 'Deployment', `${FULL}-controller`).spec.template.spec.containers[0];
    expect(JSON.stringify(controller)).not.toContain('kafka-admin');
    expect(broker(objects).volumeMounts).toContainEqual({ name: 'kafka-tls', mountPath: TLS_DIR, readOnly: true });
    expect(pod(objects).spec.volumes).toContainEqual({ name: 'kafka-tls', secret: { secretName: `${FULL}-kafka-tls`, defaultMode: 0o440 } });
  });

  it('the chart-made certificate: signed by its CA (openssl verify), names the bootstrap Service, every broker and the external hosts, and its key matches', () => {
    const objects = render({ set: ['broker.externalAccess.enabled=true', `broker.externalAccess.hostTemplate=${EXTERNAL_HOSTS[0]}`, 'security.tls.extraIpAddresses={198.51.100.7}'] });
    const tls = find(objects, 'Secret', `${FULL}-kafka-tls`);
    expect(tls).toMatchObject({ type: 'kubernetes.io/tls' });
    const [certPem, keyPem, caPem] = ['tls.crt', 'tls.key', 'ca.crt'].map((k) => b64(tls.data![k]!));
    writeFileSync(join(work, 'ca.crt'), caPem!);
    writeFileSync(join(work, 'tls.crt'), certPem!);
    expect(execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', join(work, 'ca.crt'), join(work, 'tls.crt')], { encoding: 'utf8' }).trim()).toBe(`${join(work, 'tls.crt')}: OK`);
    expect(b64(find(objects, 'Secret', `${FULL}-kafka-ca`).data!['tls.crt']!)).toBe(caPem);
    const cert = new X509Certificate(certPem!);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem!))).toBe(true);
    // The names clients connect to, as Node's TLS client checks them.
    const legacy = { ...cert.toLegacyObject(), subjectaltname: cert.subjectAltName ?? '' };
    const names = [
      BROKER,
      `${BROKER}.${NAMESPACE}.svc.cluster.local`,
      `${BROKER}-1.${HEADLESS}.${NAMESPACE}.svc.cluster.local`,
      `${BROKER}-3.${HEADLESS}.${NAMESPACE}.svc`,
      'broker-1.kafka.example.com',
      'broker-3.kafka.example.com',
      '198.51.100.7',
    ];
    for (const name of names) expect(checkServerIdentity(name, legacy), name).toBeUndefined();
    for (const name of ['broker-4.kafka.example.com', `other.${NAMESPACE}.svc.cluster.local`, '198.51.100.8']) expect(checkServerIdentity(name, legacy), name).toBeInstanceOf(Error);
    kubeconformOn(objects, helmTemplate(helm, { set: ['broker.externalAccess.enabled=true', `broker.externalAccess.hostTemplate=${EXTERNAL_HOSTS[0]}`] }).text);
  });

  // With external access too, through the identity file: helm.test.ts's configuration check.
  it('the broker environment it gives passes `stratus config check`, which never shows the password', () => {
    const env = brokerEnv(render());
    expect(env.STRATUS_SASL_ADMIN_PASSWORD).toMatch(/^[A-Za-z0-9]{32}$/);
    const check = configCheck(env);
    expect(check.status, check.output).toBe(0);
    expect(check.output).not.toContain(env.STRATUS_SASL_ADMIN_PASSWORD);
  });
});

describe('Kafka security, served', () => {
  it("a real broker with the chart's security settings, certificate and password: kcat trusting the chart's ca.crt produces and consumes as admin, and is refused without SASL", { timeout: 90_000 }, async () => {
    // The chart's names are cluster DNS names; localhost is added so that a client here can check the certificate by name.
    const objects = render({ set: ['security.tls.extraDnsNames={localhost}'] });
    const env = brokerEnv(objects);
    const tls = find(objects, 'Secret', `${FULL}-kafka-tls`).data!;
    const dir = mkdtempSync(join(work, 'served-'));
    for (const key of ['tls.crt', 'tls.key', 'ca.crt']) writeFileSync(join(dir, key), b64(tls[key]!), { mode: 0o600 });
    const [port, httpPort] = [await freePort(), await freePort()];
    // What the chart sets for Kafka security, as it sets it; where the pod's files would be, this test's.
    const security = Object.fromEntries(Object.entries(env).filter(([k]) => /^STRATUS_(SASL|AUTHORIZATION|KAFKA_LISTENER_SECURITY)/.test(k)));
    expect(Object.keys(security).sort()).toEqual([
      'STRATUS_AUTHORIZATION_ALLOW_EVERYONE_IF_NO_ACL_FOUND',
      'STRATUS_AUTHORIZATION_ENABLED',
      'STRATUS_AUTHORIZATION_SUPER_USERS',
      'STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
      'STRATUS_SASL_ADMIN_PASSWORD',
      'STRATUS_SASL_ADMIN_USER',
      'STRATUS_SASL_MECHANISMS',
    ]);
    const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, CLI, 'dev', '--data-dir', join(dir, 'data'), '--http-port', String(httpPort)], {
      env: {
        PATH: process.env.PATH ?? '',
        STRATUS_LOG_LEVEL: 'warn',
        ...security,
        STRATUS_KAFKA_LISTENERS: `INTERNAL://127.0.0.1:${port}`,
        STRATUS_KAFKA_ADVERTISED_LISTENERS: `INTERNAL://localhost:${port}`,
        STRATUS_KAFKA_SSL_CERT_FILE: join(dir, 'tls.crt'),
        STRATUS_KAFKA_SSL_KEY_FILE: join(dir, 'tls.key'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      while (!(await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`stratus dev did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The password in a kcat config file (-F), so that no command line or failure message shows it.
      const clientConfig = join(dir, 'kcat.conf');
      writeFileSync(clientConfig, ['security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', 'sasl.username=admin', `sasl.password=${env.STRATUS_SASL_ADMIN_PASSWORD}`, `ssl.ca.location=${join(dir, 'ca.crt')}`, ''].join('\n'), { mode: 0o600 });
      const flags = ['-b', `localhost:${port}`, '-F', clientConfig];
      execFileSync('kcat', [...flags, '-t', 'chart-security', '-P'], { input: 'through the chart\n', timeout: 30_000 });
      expect(execFileSync('kcat', [...flags, '-t', 'chart-security', '-C', '-e', '-q'], { encoding: 'utf8', timeout: 30_000 }).trim()).toBe('through the chart');
      const plain = spawnSync('kcat', ['-b', `localhost:${port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${join(dir, 'ca.crt')}`, '-L', '-m', '3'], { encoding: 'utf8', timeout: 30_000 });
      expect(plain.status).not.toBe(0);
      expect(output).not.toContain(env.STRATUS_SASL_ADMIN_PASSWORD);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('Kafka security from what the user gives', () => {
  it("the user's Secrets are referenced as they are; the chart makes neither the password nor a certificate", () => {
    const objects = render({ set: ['security.sasl.existingSecret=kafka-admin', 'security.sasl.existingSecretKey=pw', 'security.tls.existingSecret=kafka-cert'] });
    expect(broker(objects).env.find((e: { name: string }) => e.name === 'STRATUS_SASL_ADMIN_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'kafka-admin', key: 'pw' });
    expect(pod(objects).spec.volumes).toContainEqual({ name: 'kafka-tls', secret: { secretName: 'kafka-cert', defaultMode: 0o440 } });
    expect(ofKind(objects, 'Secret').map((s) => s.metadata.name)).toEqual([`${FULL}-controller-redis-url`]);
    expect(ofKind(objects, 'Certificate')).toEqual([]);
  });

  it('a cert-manager issuer: a Certificate for the same names and the Secret the brokers mount, no chart CA', () => {
    const objects = render({ set: ['security.tls.certManager.issuer=kafka-ca', 'security.tls.certManager.issuerKind=ClusterIssuer', 'broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={kafka-1.example.com,203.0.113.11,2001:db8::12}'] });
    const [certificate] = ofKind(objects, 'Certificate');
    expect(certificate).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      metadata: { name: `${FULL}-kafka-tls`, namespace: NAMESPACE },
      spec: {
        secretName: `${FULL}-kafka-tls`,
        issuerRef: { name: 'kafka-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        duration: '2160h',
        renewBefore: '360h',
        usages: ['server auth', 'digital signature', 'key encipherment'],
        privateKey: { algorithm: 'RSA', size: 2048, rotationPolicy: 'Always' },
        ipAddresses: ['203.0.113.11', '2001:db8::12'],
      },
    });
    expect(certificate!.spec.dnsNames).toEqual([
      BROKER,
      `${BROKER}.${NAMESPACE}`,
      `${BROKER}.${NAMESPACE}.svc`,
      `${BROKER}.${NAMESPACE}.svc.cluster.local`,
      `*.${HEADLESS}.${NAMESPACE}.svc`,
      `*.${HEADLESS}.${NAMESPACE}.svc.cluster.local`,
      'kafka-1.example.com',
    ]);
    expect(pod(objects).spec.volumes).toContainEqual({ name: 'kafka-tls', secret: { secretName: certificate!.spec.secretName, defaultMode: 0o440 } });
    expect(ofKind(objects, 'Secret').map((s) => s.metadata.name)).toEqual([`${FULL}-kafka-admin`, `${FULL}-controller-redis-url`]);
    kubeconformOn(objects, helmTemplate(helm, { set: ['security.tls.certManager.issuer=kafka-ca', 'security.tls.certManager.issuerKind=ClusterIssuer', 'broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={kafka-1.example.com,203.0.113.11,2001:db8::12}'] }).text);
  });
});

describe('Kafka security turned off', () => {
  it('plaintext on purpose: no SASL, no ACLs, no Secrets, no mount, and kafka.allowPlaintextExternal said — which `stratus config check` needs', () => {
    const objects = render({ set: ['security.enabled=false'] });
    const data = configMap(objects);
    expect(data.STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL).toBe('true');
    for (const key of Object.keys(data)) expect(key).not.toMatch(/^STRATUS_(SASL|AUTHORIZATION|KAFKA_SSL|KAFKA_LISTENER_SECURITY)/);
    expect(broker(objects).env.map((e: { name: string }) => e.name)).not.toContain('STRATUS_SASL_ADMIN_PASSWORD');
    expect(pod(objects).spec.volumes.map((v: { name: string }) => v.name)).not.toContain('kafka-tls');
    expect(ofKind(objects, 'Secret').map((s) => s.metadata.name)).toEqual([`${FULL}-controller-redis-url`]);
    const env = brokerEnv(objects);
    expect(configCheck(env).status).toBe(0);
    // Without the flag the same brokers would not start.
    const { STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL: _allowed, ...refused } = env;
    const check = configCheck(refused);
    expect(check.status).toBe(1);
    expect(check.output).toContain('listener INTERNAL would accept plaintext without authentication on 0.0.0.0:9092');
  });
});

describe('values.schema.json (security)', () => {
  it.each([
    ['PLAIN among the mechanisms', ['security.sasl.mechanisms={PLAIN}'], "at '/security/sasl/mechanisms/0'"],
    ['a super user that is no principal', ['security.authorization.superUsers={admin}'], "at '/security/authorization/superUsers/0'"],
    ['an unknown issuer kind', ['security.tls.certManager.issuer=x', 'security.tls.certManager.issuerKind=Vault'], "at '/security/tls/certManager/issuerKind'"],
  ])('rejects %s', (_name, set, message) => {
    const r = helmTemplate(helm, { set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
