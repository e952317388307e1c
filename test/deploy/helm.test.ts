// The Helm chart (helm/stratus, issue 11 §3), checked without a Kubernetes cluster:
//  - the real helm (test/peers/helm.sh) lints it --strict and renders it, with the default
//    values, with values-gke.yaml and with every optional part on;
//  - kubeconform -strict validates every rendered object offline against the Kubernetes
//    1.35 object schemas test/peers/k8s-schemas.sh generates (ServiceMonitor and
//    PrometheusRule have no schema there: the prometheus-operator module served here
//    carries no CRD, so they are skipped by kubeconform and their shape asserted here —
//    the PrometheusRule's rules must be deploy/alerts.yaml's);
//  - the rendered objects are asserted: controller Deployment and PDB, broker StatefulSet
//    with its claim template, headless Service, Kafka listeners (INTERNAL; EXTERNAL with
//    external access) and their advertised names, per-broker external Services, probes,
//    preStop and grace period against the drain timeouts the brokers are given, zone spread, rack wiring, securityContexts, Workload Identity, S3 Secrets,
//    checksum annotations, values.schema.json (rejects bad values, covers every value,
//    generated parts current);
//  - the environment each process would get (ConfigMap, fieldRefs, Secrets) is handed to
//    the real `stratus config check --env`, and the brokers' identity initContainer script
//    runs against a fake Kubernetes API over HTTPS, its file checked the same way.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedValuesSchemaText, K8S_SCHEMA_VERSION, VALUES_SCHEMA_FILE } from '../../helm/tools/config-schema.ts';
import { EVENT_LOOP_STALL_MS } from '@stratus/cli';
import { CHART, containerEnv, find, GKE_VALUES, helmTemplate, leafPaths, NAMESPACE, ofKind, RELEASE, ROOT, schemaAt, selects } from './lib/helm-chart.ts';
import type { K8sObject, PodFacts, Rendered, RenderOptions } from './lib/helm-chart.ts';

const CLI = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const IDENTITY_SCRIPT = join(CHART, 'files', 'broker-identity.mjs');
const FULL = `${RELEASE}-stratus`;
const CONTROLLER = `${FULL}-controller`;
const BROKER = `${FULL}-broker`;
const HEADLESS = `${FULL}-broker-headless`;
const ZONE_KEY = 'topology.kubernetes.io/zone';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** Prometheus Operator kinds: no CRD schema offline, so kubeconform skips them and the tests below assert them. */
const OPERATOR_KINDS = ['ServiceMonitor', 'PrometheusRule'];
/** An admin API token given as a value (the discouraged way; at least 16 characters). */
const ADMIN_TOKEN = 'admin-token-from-values-7c2e91';
/** The admin API token from a Secret made outside the chart (the recommended way). */
const ADMIN_EXISTING: RenderOptions = { set: ['admin.apiToken.existingSecret=stratus-admin', 'admin.apiToken.existingSecretKey=token'] };
/** Every optional part on (external NodePort access, HPA, ServiceMonitor, PrometheusRule, NetworkPolicy, S3 credentials and the admin API token from values). */
const EVERYTHING: RenderOptions = {
  values: [
    `admin: {apiToken: {value: ${ADMIN_TOKEN}}}`,
    'broker:',
    '  externalAccess: {enabled: true, type: NodePort, hostTemplate: "{hostIP}"}',
    '  autoscaling: {enabled: true}',
    'serviceMonitor: {enabled: true}',
    'prometheusRule: {enabled: true, labels: {release: prometheus}}',
    'networkPolicy: {enabled: true}',
    'objectStore:',
    '  url: s3://stratus/data?endpoint=https://storage.example.com&region=eu-west-1',
    '  s3: {accessKeyId: AKIDEXAMPLE, secretAccessKey: secret-example}',
  ].join('\n'),
};

let helm: string;
let kubeconform: string;
let schemaRoot: string;
let work: string;
const renders = new Map<string, Rendered>();

function peer(script: string): string {
  return execFileSync('bash', [join(ROOT, 'test', 'peers', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A render that must succeed (memoised: helm takes ~100 ms a run). */
function render(options: RenderOptions = {}): readonly K8sObject[] {
  const key = JSON.stringify(options);
  let r = renders.get(key);
  if (r === undefined) {
    r = helmTemplate(helm, options);
    renders.set(key, r);
  }
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.objects;
}

const gke = (): readonly K8sObject[] => render({ files: [GKE_VALUES] });
const statefulSet = (objects: readonly K8sObject[]) => find(objects, 'StatefulSet', BROKER);
const brokerPod = (objects: readonly K8sObject[]) => statefulSet(objects).spec.template;
const brokerContainer = (objects: readonly K8sObject[]) => brokerPod(objects).spec.containers.find((c: { name: string }) => c.name === 'broker');
const controllerPod = (objects: readonly K8sObject[]) => find(objects, 'Deployment', CONTROLLER).spec.template;
/** A container's env entry as rendered (value or valueFrom). */
interface EnvEntry {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
type WithEnv = { env: EnvEntry[] };
const hasEnv = (container: WithEnv, name: string): boolean => container.env.some((e) => e.name === name);
function envEntry(container: WithEnv, name: string): EnvEntry {
  const entry = container.env.find((e) => e.name === name);
  if (entry === undefined) throw new Error(`no env ${name} in ${container.env.map((e) => e.name).join(', ')}`);
  return entry;
}
const fieldPath = (entry: EnvEntry): string | undefined => entry.valueFrom?.fieldRef?.fieldPath;
const secretRef = (entry: EnvEntry): { name: string; key: string } => {
  if (entry.valueFrom?.secretKeyRef === undefined) throw new Error(`env ${entry.name} is not from a Secret`);
  return entry.valueFrom.secretKeyRef;
};
const valueOf = (entry: EnvEntry): string => {
  if (entry.value === undefined) throw new Error(`env ${entry.name} has no value`);
  return entry.value;
};

/** The downward API's facts for broker N / a controller pod. */
function brokerFacts(objects: readonly K8sObject[], ordinal: number): PodFacts {
  const labels = { ...brokerPod(objects).metadata.labels, [POD_INDEX_LABEL]: String(ordinal), [ZONE_KEY]: 'europe-west1-b' };
  return { name: `${BROKER}-${ordinal}`, labels, podIP: '10.8.0.12', hostIP: '10.0.0.5', nodeName: 'gke-node-b1' };
}
function controllerFacts(objects: readonly K8sObject[]): PodFacts {
  return { name: `${CONTROLLER}-7d9f8-abcde`, labels: controllerPod(objects).metadata.labels, podIP: '10.8.1.7', hostIP: '10.0.0.6', nodeName: 'gke-node-c1' };
}

/** `stratus config check FILE --for COMMAND --env` with exactly this environment (plus PATH). */
function configCheck(command: 'broker' | 'controller', env: Record<string, string>, file: string): { status: number; output: string } {
  const r = spawnSync(process.execPath, [CLI, 'config', 'check', file, '--for', command, '--env'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Seconds of a duration the processes read (only the forms the chart writes: Ns, Nms). */
function seconds(duration: string): number {
  const m = /^(\d+)(ms|s)$/.exec(duration);
  if (m === null) throw new Error(`unexpected duration ${duration}`);
  return m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]);
}

beforeAll(() => {
  helm = peer('helm.sh');
  kubeconform = peer('kubeconform.sh');
  schemaRoot = peer('k8s-schemas.sh');
  work = mkdtempSync(join(tmpdir(), 'stratus-helm-'));
}, 20 * 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('helm lint and kubeconform', () => {
  it.each([
    ['default values', []],
    ['values-gke.yaml', [GKE_VALUES]],
  ])('helm lint --strict passes with the %s', (_name, files) => {
    const r = spawnSync(helm, ['lint', '--strict', CHART, ...files.flatMap((f) => ['-f', f])], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  function kubeconformOn(text: string): { status: number; summary: { valid: number; invalid: number; errors: number; skipped: number }; output: string } {
    const file = join(work, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    const r = spawnSync(
      kubeconform,
      ['-strict', '-summary', '-output', 'json', '-kubernetes-version', K8S_SCHEMA_VERSION, '-skip', OPERATOR_KINDS.join(','), '-schema-location', `${schemaRoot}/{{ .NormalizedKubernetesVersion }}-standalone-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json`, file],
      { encoding: 'utf8' },
    );
    const out = JSON.parse(r.stdout) as { summary: { valid: number; invalid: number; errors: number; skipped: number } };
    return { status: r.status ?? -1, summary: out.summary, output: r.stdout };
  }

  it.each([
    ['default values', {}],
    ['values-gke.yaml', { files: [GKE_VALUES] }],
    ['every optional part on', EVERYTHING],
    ['admin API token from an existing Secret', ADMIN_EXISTING],
  ])('every object rendered with the %s is valid Kubernetes 1.35 (kubeconform -strict, offline schemas)', (_name, options: RenderOptions) => {
    const objects = render(options);
    const r = kubeconformOn(renders.get(JSON.stringify(options))!.text);
    expect(r.status, r.output).toBe(0);
    const operatorObjects = objects.filter((o) => OPERATOR_KINDS.includes(o.kind)).length;
    expect(r.summary).toEqual({ valid: objects.length - operatorObjects, invalid: 0, errors: 0, skipped: operatorObjects });
  });

  it('kubeconform with these schemas rejects a misspelled field and an unknown kind (the check can fail)', () => {
    const text = renders.get(JSON.stringify({}))!.text.replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true');
    const bad = kubeconformOn(text);
    expect(bad.status).not.toBe(0);
    expect(bad.summary.invalid).toBeGreaterThan(0);
    const unknown = kubeconformOn('apiVersion: v1\nkind: NoSuchKind\nmetadata: {name: x}\n');
    expect(unknown.summary.errors).toBe(1);
  });
});

describe('controllers', () => {
  it.each([
    ['default values', () => render()],
    ['values-gke.yaml', () => gke()],
  ])('a Deployment of at least 2 and a PodDisruptionBudget keeping one (%s)', (_name, objects) => {
    const deployment = find(objects(), 'Deployment', CONTROLLER);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pdb = find(objects(), 'PodDisruptionBudget', CONTROLLER);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(selects(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it('advertise their pod IP, are reached by the brokers through the controller Service, and take the Redis URL from a Secret', () => {
    const objects = render();
    const pod = controllerPod(objects);
    const container = pod.spec.containers[0];
    expect(container.args).toEqual(['controller']);
    expect(fieldPath(envEntry(container, 'STRATUS_GRPC_ADVERTISED_HOST'))).toBe('status.podIP');
    const url = secretRef(envEntry(container, 'STRATUS_METADATA_URL'));
    // Default: the in-chart Redis, AOF fsynced on every write.
    expect(find(objects, 'Secret', url.name).stringData![url.key]).toBe(`redis://${FULL}-redis:6379`);
    const redis = find(objects, 'StatefulSet', `${FULL}-redis`);
    expect(redis.spec.template.spec.containers[0].args.join(' ')).toContain('--appendonly yes --appendfsync always');
    expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(selects(find(objects, 'Service', `${FULL}-redis`).spec.selector, redis.spec.template.metadata.labels)).toBe(true);

    const service = find(objects, 'Service', CONTROLLER);
    expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
    const grpc = service.spec.ports.find((p: { name: string }) => p.name === 'grpc');
    expect(find(objects, 'ConfigMap', BROKER).data!.STRATUS_CONTROLLER_ENDPOINTS).toBe(`${CONTROLLER}.${NAMESPACE}.svc.cluster.local:${grpc.port}`);
  });

  it('GKE: Memorystore through the URL given, no in-chart Redis; an existing Secret is referenced as it is', () => {
    const objects = gke();
    expect(ofKind(objects, 'StatefulSet').map((s) => s.metadata.name)).toEqual([BROKER]);
    const url = secretRef(envEntry(controllerPod(objects).spec.containers[0], 'STRATUS_METADATA_URL'));
    expect(find(objects, 'Secret', url.name).stringData![url.key]).toBe(parseYaml(readFileSync(GKE_VALUES, 'utf8')).controller.redisUrl);

    const existing = render({ files: [GKE_VALUES], set: ['controller.existingRedisSecret=memorystore', 'controller.existingRedisSecretKey=url'] });
    expect(secretRef(envEntry(controllerPod(existing).spec.containers[0], 'STRATUS_METADATA_URL'))).toEqual({ name: 'memorystore', key: 'url' });
    // No Secret for the URL: only the Kafka security's own (helm-kafka-security.test.ts).
    expect(ofKind(existing, 'Secret').map((s) => s.metadata.name)).toEqual([`${FULL}-kafka-admin`, `${FULL}-kafka-ca`, `${FULL}-kafka-tls`]);
    // Both an external URL and the in-chart Redis: refused rather than one silently ignored.
    expect(helmTemplate(helm, { set: ['controller.redisUrl=redis://10.0.0.3:6379'] }).stderr).toContain('set redis.enabled=false');
  });

  it("deploy/gke.md's helm install renders as written: Memorystore's Secret and the admin token's Secret referenced, the bucket and service account set", () => {
    const guide = readFileSync(join(ROOT, 'deploy', 'gke.md'), 'utf8');
    const install = guide.slice(guide.indexOf('## 7. Install'), guide.indexOf('## 8.'));
    const sample: Record<string, string> = { IMAGE: 'europe-docker.pkg.dev/p/r/stratus', TAG: '1.0.0', BUCKET: 'b', GSA: 'stratus', PROJECT: 'p' };
    const set = [...install.matchAll(/--set (\S+)/g)].map((m) => m[1]!.replace(/\$([A-Z]+)/g, (_, v: string) => sample[v] ?? `unknown-${v}`));
    expect(set.join(' ')).not.toContain('unknown-');
    const objects = render({ files: [GKE_VALUES], set });
    const controller = controllerPod(objects).spec.containers[0];
    expect(secretRef(envEntry(controller, 'STRATUS_ADMIN_API_TOKEN'))).toEqual({ name: 'stratus-admin-api', key: 'token' });
    expect(secretRef(envEntry(controller, 'STRATUS_METADATA_URL')).name).toBe('stratus-redis');
    expect(install).toContain('create secret generic stratus-admin-api --from-literal=token=');
  });
});

describe('the admin REST API token', () => {
  const controllerContainer = (objects: readonly K8sObject[]) => controllerPod(objects).spec.containers[0];
  const adminSecret = `${CONTROLLER}-admin-token`;

  it('none by default: no STRATUS_ADMIN_API_TOKEN, no Secret — the API is read-only', () => {
    for (const objects of [render(), gke()]) {
      expect(hasEnv(controllerContainer(objects), 'STRATUS_ADMIN_API_TOKEN')).toBe(false);
      expect(ofKind(objects, 'Secret').map((s) => s.metadata.name)).not.toContain(adminSecret);
    }
  });

  it('from an existing Secret, referenced as it is; the chart makes none', () => {
    const objects = render(ADMIN_EXISTING);
    expect(secretRef(envEntry(controllerContainer(objects), 'STRATUS_ADMIN_API_TOKEN'))).toEqual({ name: 'stratus-admin', key: 'token' });
    expect(ofKind(objects, 'Secret').map((s) => s.metadata.name)).not.toContain(adminSecret);
    expect(hasEnv(brokerContainer(objects), 'STRATUS_ADMIN_API_TOKEN')).toBe(false);
  });

  it('from a value: in a Secret the chart makes, never in a ConfigMap, given to the controllers only, and taken by `stratus config check`', () => {
    const objects = render(EVERYTHING);
    const ref = secretRef(envEntry(controllerContainer(objects), 'STRATUS_ADMIN_API_TOKEN'));
    expect(ref.name).toBe(adminSecret);
    expect(find(objects, 'Secret', adminSecret).stringData![ref.key]).toBe(ADMIN_TOKEN);
    for (const cm of ofKind(objects, 'ConfigMap')) expect(JSON.stringify(cm.data ?? {})).not.toContain(ADMIN_TOKEN);
    expect(hasEnv(brokerContainer(objects), 'STRATUS_ADMIN_API_TOKEN')).toBe(false);
    const env = containerEnv(objects, controllerContainer(objects), controllerFacts(objects));
    expect(env.STRATUS_ADMIN_API_TOKEN).toBe(ADMIN_TOKEN);
    const file = join(work, 'admin-empty.yaml');
    writeFileSync(file, '{}\n');
    const check = configCheck('controller', env, file);
    expect(check.status, check.output).toBe(0);
    // A changed token rolls the controllers (their checksum/secrets annotation).
    const other = render({ values: `admin: {apiToken: {value: ${ADMIN_TOKEN}-2}}` });
    expect(find(other, 'Deployment', CONTROLLER).spec.template.metadata.annotations['checksum/secrets']).not.toBe(find(render({ values: `admin: {apiToken: {value: ${ADMIN_TOKEN}}}` }), 'Deployment', CONTROLLER).spec.template.metadata.annotations['checksum/secrets']);
  });

  it.each([
    ['both an existing Secret and a value', ['admin.apiToken.existingSecret=x', `admin.apiToken.value=${ADMIN_TOKEN}`], 'are both set: keep one'],
    ['a value too short for the controllers', ['admin.apiToken.value=short'], "at '/admin/apiToken/value'"],
    ['the token in controller.config (it would land in a ConfigMap)', [`controller.config.admin.apiToken=${ADMIN_TOKEN}`], "at '/controller/config/admin'"],
  ])('refuses %s (helm template fails)', (_name, set, message) => {
    const r = helmTemplate(helm, { set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});

describe('brokers', () => {
  it('a StatefulSet whose pods keep the WAL on their own claim (pd-ssd on GKE), from ordinal 1', () => {
    for (const objects of [render(), gke()]) {
      const sts = statefulSet(objects);
      expect(sts.spec.ordinals.start).toBe(1);
      const [claim] = sts.spec.volumeClaimTemplates;
      expect(claim.metadata.name).toBe('data');
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
      const mount = brokerContainer(objects).volumeMounts.find((m: { name: string }) => m.name === 'data');
      expect(mount.mountPath).toBe(find(objects, 'ConfigMap', BROKER).data!.STRATUS_DATA_DIR);
    }
    expect(statefulSet(render()).spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
    expect(statefulSet(gke()).spec.volumeClaimTemplates[0].spec.storageClassName).toBe('pd-ssd');
    expect(statefulSet(gke()).spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  it('each broker advertises its stable name under the headless Service and takes its node id from its ordinal', () => {
    const objects = render();
    const sts = statefulSet(objects);
    const headless = find(objects, 'Service', HEADLESS);
    expect(sts.spec.serviceName).toBe(HEADLESS);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(selects(headless.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
    const env = containerEnv(objects, brokerContainer(objects), brokerFacts(objects, 2));
    const kafkaPort = headless.spec.ports.find((p: { name: string }) => p.name === 'kafka').port;
    // One listener, INTERNAL, bound at kafka.host (0.0.0.0) on the headless Service's port.
    expect(env.STRATUS_KAFKA_HOST).toBe('0.0.0.0');
    expect(env.STRATUS_KAFKA_LISTENERS).toBe(`INTERNAL://:${kafkaPort}`);
    expect(env.STRATUS_KAFKA_ADVERTISED_LISTENERS).toBe(`INTERNAL://${BROKER}-2.${HEADLESS}.${NAMESPACE}.svc.cluster.local:${kafkaPort}`);
    // The one-listener keys are errors next to the lists.
    expect(Object.keys(env).filter((k) => /^STRATUS_KAFKA_(PORT|ADVERTISED_HOST|ADVERTISED_PORT)$/.test(k))).toEqual([]);
    expect(env.STRATUS_NODE_ID).toBe('2');
    // The bootstrap Service: ready brokers only.
    const bootstrap = find(objects, 'Service', BROKER);
    expect(bootstrap.spec.publishNotReadyAddresses).toBeUndefined();
    expect(selects(bootstrap.spec.selector, sts.spec.template.metadata.labels)).toBe(true);
  });

  it('readiness on /readyz and liveness on /livez of the http port the broker is given', () => {
    for (const [objects, container, port] of [
      [render(), brokerContainer(render()), find(render(), 'ConfigMap', BROKER).data!.STRATUS_HTTP_PORT],
      [render(), controllerPod(render()).spec.containers[0], find(render(), 'ConfigMap', CONTROLLER).data!.STRATUS_HTTP_PORT],
    ] as const) {
      expect(objects.length).toBeGreaterThan(0);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
      // A liveness probe does not time out before the process itself would call its event loop stalled,
      // and restarts only after failures over 30 s (one stall, one pause, is forgiven).
      expect(container.livenessProbe.timeoutSeconds * 1000).toBeGreaterThanOrEqual(EVENT_LOOP_STALL_MS);
      expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(30);
      // Out of the Services within ~10 s of becoming unready; a probe answered within 2 s.
      expect(container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold).toBeLessThanOrEqual(10);
      expect(container.readinessProbe.timeoutSeconds).toBeGreaterThanOrEqual(2);
      expect(String(container.ports.find((p: { name: string }) => p.name === 'http').containerPort)).toBe(port);
    }
  });

  it('preStop sleeps, and the grace period outlasts the preStop sleep, the drain, the requests and the WAL upload the broker is configured with', () => {
    for (const objects of [render(), gke()]) {
      const pod = brokerPod(objects);
      const sleep = brokerContainer(objects).lifecycle.preStop.sleep.seconds;
      expect(sleep).toBeGreaterThan(0);
      const config = find(objects, 'ConfigMap', BROKER).data!;
      const shutdown = sleep + seconds(config.STRATUS_CLUSTER_SHUTDOWN_DRAIN_TIMEOUT!) + seconds(config.STRATUS_KAFKA_SHUTDOWN_DRAIN!) + seconds(config.STRATUS_STORAGE_SHUTDOWN_FLUSH_TIMEOUT!);
      expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(shutdown);
    }
    const longer = render({ set: ['broker.shutdown.drainTimeoutSeconds=120'] });
    expect(find(longer, 'ConfigMap', BROKER).data!.STRATUS_CLUSTER_SHUTDOWN_DRAIN_TIMEOUT).toBe('120s');
    expect(brokerPod(longer).spec.terminationGracePeriodSeconds).toBeGreaterThan(5 + 120 + 10 + 15);
    const tooShort = helmTemplate(helm, { set: ['broker.shutdown.terminationGracePeriodSeconds=40'] });
    expect(tooShort.status).not.toBe(0);
    expect(tooShort.stderr).toContain('below the broker\'s shutdown');
  });

  it('spread over zones (DoNotSchedule on GKE) and hosts, the selector matching the brokers', () => {
    for (const [objects, when] of [
      [render(), 'ScheduleAnyway'],
      [gke(), 'DoNotSchedule'],
    ] as const) {
      const pod = brokerPod(objects);
      const zone = pod.spec.topologySpreadConstraints.find((c: { topologyKey: string }) => c.topologyKey === ZONE_KEY);
      expect(zone).toMatchObject({ maxSkew: 1, whenUnsatisfiable: when });
      expect(selects(zone.labelSelector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(pod.spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey)).toContain('kubernetes.io/hostname');
    }
  });

  it('PodDisruptionBudget: one broker at a time', () => {
    for (const objects of [render(), gke()]) {
      const pdb = find(objects, 'PodDisruptionBudget', BROKER);
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(selects(pdb.spec.selector.matchLabels, brokerPod(objects).metadata.labels)).toBe(true);
    }
  });

  it('rack nodeApi: an initContainer with a node-reading ClusterRole writes the file the broker reads with --config', () => {
    const objects = gke();
    const pod = brokerPod(objects);
    const [init] = pod.spec.initContainers;
    expect(init.command).toEqual(['node', '/etc/stratus/identity/broker-identity.mjs']);
    expect(envEntry(init, 'RACK_SOURCE')).toMatchObject({ value: 'nodeApi' });
    expect(fieldPath(envEntry(init, 'NODE_NAME'))).toBe('spec.nodeName');
    const file = valueOf(envEntry(init, 'IDENTITY_FILE'));
    const broker = brokerContainer(objects);
    expect(broker.args).toEqual(['broker', '--config', file]);
    const initMount = init.volumeMounts.find((m: { name: string }) => m.name === 'identity');
    const brokerMount = broker.volumeMounts.find((m: { name: string }) => m.name === 'identity');
    expect(file.startsWith(`${initMount.mountPath}/`) && file.startsWith(`${brokerMount.mountPath}/`)).toBe(true);
    // The script mounted is the chart's file.
    const scriptVolume = pod.spec.volumes.find((v: { name: string }) => v.name === 'identity-script');
    expect(find(objects, 'ConfigMap', scriptVolume.configMap.name).data!['broker-identity.mjs']).toBe(readFileSync(IDENTITY_SCRIPT, 'utf8'));
    // get on nodes, nothing else, for the pods' service account.
    const [role] = ofKind(objects, 'ClusterRole');
    expect(role!.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const [binding] = ofKind(objects, 'ClusterRoleBinding');
    expect(binding!.roleRef!.name).toBe(role!.metadata.name);
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.spec.serviceAccountName, namespace: NAMESPACE }]);
    expect(hasEnv(broker, 'STRATUS_KAFKA_RACK')).toBe(false);
  });

  it('rack podLabel: the zone label through the downward API, no initContainer, no ClusterRole; none: no rack at all', () => {
    const objects = render({ set: ['broker.rack.source=podLabel'] });
    const broker = brokerContainer(objects);
    expect(fieldPath(envEntry(broker, 'STRATUS_KAFKA_RACK'))).toBe(`metadata.labels['${ZONE_KEY}']`);
    expect(containerEnv(objects, broker, brokerFacts(objects, 1)).STRATUS_KAFKA_RACK).toBe('europe-west1-b');
    expect(brokerPod(objects).spec.initContainers).toBeUndefined();
    expect(broker.args).toEqual(['broker']);
    expect(ofKind(objects, 'ClusterRole')).toEqual([]);
    const none = render({ set: ['broker.rack.source=none'] });
    expect(brokerPod(none).spec.initContainers).toBeUndefined();
    expect(hasEnv(brokerContainer(none), 'STRATUS_KAFKA_RACK')).toBe(false);
  });

  it('external access: one Service per broker selecting its pod, and the identity initContainer told the same addresses', () => {
    const hosts = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
    const lb = render({ set: ['broker.externalAccess.enabled=true', `broker.externalAccess.hosts={${hosts.join(',')}}`] });
    const services = ofKind(lb, 'Service').filter((s) => s.metadata.name.endsWith('-external'));
    expect(services.map((s) => s.metadata.name)).toEqual([1, 2, 3].map((i) => `${BROKER}-${i}-external`));
    services.forEach((s, i) => {
      expect(s.spec.type).toBe('LoadBalancer');
      expect(s.spec.loadBalancerIP).toBe(hosts[i]);
      expect(s.spec.selector['statefulset.kubernetes.io/pod-name']).toBe(`${BROKER}-${i + 1}`);
      expect(selects(s.spec.selector, { ...brokerPod(lb).metadata.labels, 'statefulset.kubernetes.io/pod-name': `${BROKER}-${i + 1}` })).toBe(true);
    });
    const init = brokerPod(lb).spec.initContainers[0];
    expect(valueOf(envEntry(init, 'EXTERNAL_HOSTS'))).toBe(hosts.join(','));
    expect(valueOf(envEntry(init, 'EXTERNAL_PORT'))).toBe(String(services[0]!.spec.ports[0].port));
    // Two listeners: INTERNAL on the kafka port (the headless and bootstrap Services), EXTERNAL
    // on its own container port, which every per-broker Service targets.
    const broker = brokerContainer(lb);
    const env = containerEnv(lb, broker, brokerFacts(lb, 2));
    const containerPort = (name: string) => broker.ports.find((p: { name: string }) => p.name === name)?.containerPort;
    expect(env.STRATUS_KAFKA_LISTENERS).toBe(`INTERNAL://:${containerPort('kafka')},EXTERNAL://:${containerPort('kafka-external')}`);
    expect(containerPort('kafka-external')).toBe(9094);
    for (const s of services) expect(s.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['kafka-external']);
    for (const name of [HEADLESS, BROKER]) expect(find(lb, 'Service', name).spec.ports.find((p: { name: string }) => p.name === 'kafka').targetPort).toBe('kafka');
    // The file, not the environment, carries the advertised listeners (the environment would win).
    expect(broker.env.map((e: EnvEntry) => e.name).filter((n: string) => n.startsWith('STRATUS_KAFKA_ADVERTISED'))).toEqual([]);
    expect(containerEnv(lb, init, brokerFacts(lb, 2)).INTERNAL_ADVERTISED_LISTENER).toBe(`INTERNAL://${BROKER}-2.${HEADLESS}.${NAMESPACE}.svc.cluster.local:${containerPort('kafka')}`);
    expect(helmTemplate(helm, { set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hostTemplate=b-{index}.example.com', 'broker.externalAccess.containerPort=9092'] }).stderr).toContain('must differ from broker.ports.kafka');

    const np = render(EVERYTHING);
    const nodePorts = ofKind(np, 'Service').filter((s) => s.metadata.name.endsWith('-external'));
    // Autoscaling on: a Service for every broker the HPA may create.
    expect(nodePorts).toHaveLength(find(np, 'HorizontalPodAutoscaler', BROKER).spec.maxReplicas);
    expect(nodePorts.map((s) => s.spec.ports[0].nodePort)).toEqual([31092, 31093, 31094, 31095, 31096, 31097]);
    expect(helmTemplate(helm, { set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={a.example.com}'] }).stderr).toContain('1 address(es) for 3 brokers');
  });

  it('autoscaling: an HPA on the StatefulSet, which then leaves replicas to it', () => {
    const objects = render(EVERYTHING);
    expect(find(objects, 'HorizontalPodAutoscaler', BROKER).spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: BROKER });
    expect(statefulSet(objects).spec.replicas).toBeUndefined();
    expect(statefulSet(render()).spec.replicas).toBe(3);
  });
});

describe('the brokers\' identity script (run against a fake Kubernetes API)', () => {
  let api: Server;
  let apiPort = 0;
  let saDir: string;
  const nodes: Record<string, Record<string, string>> = { 'node-b': { [ZONE_KEY]: 'europe-west1-b' }, 'node-bare': {} };
  const seen: { path: string; auth: string | undefined }[] = [];

  beforeAll(async () => {
    saDir = join(work, 'serviceaccount');
    mkdirSync(saDir, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(saDir, 'key.pem'), '-out', join(saDir, 'ca.crt')], { stdio: 'ignore' });
    writeFileSync(join(saDir, 'token'), 'test-token\n');
    api = createServer({ key: readFileSync(join(saDir, 'key.pem')), cert: readFileSync(join(saDir, 'ca.crt')) }, (req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      const name = /^\/api\/v1\/nodes\/([^/]+)$/.exec(req.url ?? '')?.[1];
      if (req.headers.authorization !== 'Bearer test-token') res.writeHead(401).end('{"kind":"Status","code":401}');
      else if (name === 'forbidden') res.writeHead(403).end('{"kind":"Status","code":403,"message":"nodes is forbidden"}');
      else if (name === undefined || !(name in nodes)) res.writeHead(404).end('{"kind":"Status","code":404}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Node', metadata: { name, labels: nodes[name] } }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiPort = (api.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
  });

  /** Runs the script with the initContainer's environment as the chart renders it, plus the pod's facts. */
  async function runIdentity(objects: readonly K8sObject[], ordinal: number, nodeName: string): Promise<{ code: number | null; stderr: string; file: string; text: string }> {
    const init = brokerPod(objects).spec.initContainers[0];
    const facts = { ...brokerFacts(objects, ordinal), nodeName };
    const env = containerEnv(objects, init, facts);
    const file = join(work, `identity-${ordinal}-${nodeName}-${Math.random().toString(36).slice(2)}.yaml`);
    const child = spawn(process.execPath, [IDENTITY_SCRIPT], {
      env: { ...env, IDENTITY_FILE: file, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort), SERVICE_ACCOUNT_DIR: saDir },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not written
    }
    return { code, stderr, file, text };
  }

  it('writes the node\'s zone as kafka.rack, having asked the API with the service account token', async () => {
    seen.length = 0;
    const r = await runIdentity(gke(), 2, 'node-b');
    expect(r.code, r.stderr).toBe(0);
    expect(parseYaml(r.text)).toEqual({ kafka: { rack: 'europe-west1-b' } });
    expect(seen).toEqual([{ path: '/api/v1/nodes/node-b', auth: 'Bearer test-token' }]);
  });

  it('a node without a zone label: fails the pod with rack.required, else runs without a rack', async () => {
    const required = await runIdentity(gke(), 1, 'node-bare');
    expect(required.code).toBe(1);
    expect(required.stderr).toContain(`has no ${ZONE_KEY} label`);
    const optional = await runIdentity(render(), 1, 'node-bare');
    expect(optional.code, optional.stderr).toBe(0);
    expect(parseYaml(optional.text)).toEqual({});
  });

  it('RBAC refused: fails at once with the API\'s answer', async () => {
    const r = await runIdentity(gke(), 1, 'forbidden');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 403');
    expect(r.text).toBe('');
  });

  it('external access: the address of the pod\'s own Service, as the chart rendered it', async () => {
    const hosts = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
    const lb = render({ files: [GKE_VALUES], set: ['broker.externalAccess.enabled=true', `broker.externalAccess.hosts={${hosts.join(',')}}`] });
    const r = await runIdentity(lb, 2, 'node-b');
    expect(r.code, r.stderr).toBe(0);
    const service = find(lb, 'Service', `${BROKER}-2-external`);
    const internal = (ordinal: number) => `INTERNAL://${BROKER}-${ordinal}.${HEADLESS}.${NAMESPACE}.svc.cluster.local:9092`;
    // INTERNAL: the headless name (clients in the cluster); EXTERNAL: this ordinal's Service.
    expect(parseYaml(r.text)).toEqual({ kafka: { rack: 'europe-west1-b', advertisedListeners: `${internal(2)},EXTERNAL://${service.spec.loadBalancerIP}:${service.spec.ports[0].port}` } });

    const np = render(EVERYTHING);
    const n = await runIdentity(np, 3, 'node-b');
    expect(n.code, n.stderr).toBe(0);
    const nodePort = find(np, 'Service', `${BROKER}-3-external`).spec.ports[0].nodePort;
    expect(parseYaml(n.text)).toEqual({ kafka: { rack: 'europe-west1-b', advertisedListeners: `${internal(3)},EXTERNAL://${brokerFacts(np, 3).hostIP}:${nodePort}` } });

    // An IPv6 address goes in brackets, as Kafka's syntax wants.
    const v6 = await runIdentity(render({ set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={2001:db8::10,2001:db8::11,2001:db8::12}'] }), 1, 'node-b');
    expect(v6.code, v6.stderr).toBe(0);
    expect(parseYaml(v6.text).kafka.advertisedListeners).toBe(`${internal(1)},EXTERNAL://[2001:db8::10]:9092`);
  });

  it('the broker configuration the chart gives (environment + identity file) passes `stratus config check`', async () => {
    const lb = render({ files: [GKE_VALUES], set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={203.0.113.10,203.0.113.11,203.0.113.12}'] });
    const v6 = render({ set: ['broker.externalAccess.enabled=true', 'broker.externalAccess.hosts={2001:db8::10,2001:db8::11,2001:db8::12}'] });
    for (const objects of [render(), gke(), render(EVERYTHING), lb, v6]) {
      const facts = brokerFacts(objects, 2);
      const env = containerEnv(objects, brokerContainer(objects), facts);
      const args = brokerContainer(objects).args as string[];
      let file = join(work, 'empty.yaml');
      writeFileSync(file, '{}\n');
      if (args.includes('--config')) {
        const r = await runIdentity(objects, 2, 'node-b');
        expect(r.code, r.stderr).toBe(0);
        file = r.file;
      }
      const check = configCheck('broker', env, file);
      expect(check.status, check.output).toBe(0);
    }
    // The check is real: the same environment with a node id that is not a number fails,
    // and so does a one-listener key next to the lists.
    const objects = render();
    const env = containerEnv(objects, brokerContainer(objects), { ...brokerFacts(objects, 2), labels: {} });
    expect(configCheck('broker', env, join(work, 'empty.yaml')).output).toContain('node.id (from STRATUS_NODE_ID)');
    const withPort = { ...containerEnv(objects, brokerContainer(objects), brokerFacts(objects, 2)), STRATUS_KAFKA_PORT: '9092' };
    expect(configCheck('broker', withPort, join(work, 'empty.yaml')).output).toContain('cannot be set together with kafka.listeners');
  });
});

describe('configuration', () => {
  it('the controller configuration the chart gives passes `stratus config check`', () => {
    for (const objects of [render(), gke(), render(EVERYTHING)]) {
      const env = containerEnv(objects, controllerPod(objects).spec.containers[0], controllerFacts(objects));
      expect(env.STRATUS_NAME).toBe(controllerFacts(objects).name);
      const file = join(work, 'empty.yaml');
      writeFileSync(file, '{}\n');
      const check = configCheck('controller', env, file);
      expect(check.status, check.output).toBe(0);
    }
  });

  it('broker.config and controller.config become the STRATUS_* variables of their keys (integers as integers, lists comma-separated)', () => {
    const file = join(work, 'config-values.yaml');
    writeFileSync(
      file,
      'broker:\n  config:\n    wal: {segmentBytes: 134217728, syncWrites: false}\n    cache: {diskBytes: 1099511627776}\n    kafka: {maxConnectionsPerIp: 100}\n    controller: {tls: {caFile: /etc/tls/ca.crt}}\n' +
        'controller:\n  config:\n    compaction: {bytesPerSecond: 33554432}\n    election: {leaseTime: 5s}\n',
    );
    const objects = render({ files: [file] });
    expect(find(objects, 'ConfigMap', BROKER).data).toMatchObject({
      STRATUS_WAL_SEGMENT_BYTES: '134217728',
      STRATUS_WAL_SYNC_WRITES: 'false',
      STRATUS_CACHE_DISK_BYTES: '1099511627776',
      STRATUS_KAFKA_MAX_CONNECTIONS_PER_IP: '100',
      STRATUS_CONTROLLER_TLS_CA_FILE: '/etc/tls/ca.crt',
    });
    expect(find(objects, 'ConfigMap', CONTROLLER).data).toMatchObject({ STRATUS_COMPACTION_BYTES_PER_SECOND: '33554432', STRATUS_ELECTION_LEASE_TIME: '5s' });
    const env = containerEnv(objects, brokerContainer(objects), brokerFacts(objects, 1));
    writeFileSync(join(work, 'empty.yaml'), '{}\n');
    const check = configCheck('broker', env, join(work, 'empty.yaml'));
    expect(check.status, check.output).toBe(0);
  });

  it('checksum annotations change with the configuration they cover, and only then', () => {
    const annotations = (objects: readonly K8sObject[]) => ({ broker: brokerPod(objects).metadata.annotations, controller: controllerPod(objects).metadata.annotations });
    const base = annotations(render());
    const brokerChanged = annotations(render({ set: ['broker.config.wal.segmentBytes=33554432'] }));
    expect(brokerChanged.broker['checksum/config']).not.toBe(base.broker['checksum/config']);
    expect(brokerChanged.controller).toEqual(base.controller);
    const controllerChanged = annotations(render({ set: ['controller.config.log.level=debug'] }));
    expect(controllerChanged.controller['checksum/config']).not.toBe(base.controller['checksum/config']);
    expect(controllerChanged.broker).toEqual(base.broker);
    const shared = annotations(render({ set: ['objectStore.url=gs://other-bucket/stratus'] }));
    expect(shared.broker['checksum/config']).not.toBe(base.broker['checksum/config']);
    expect(shared.controller['checksum/config']).not.toBe(base.controller['checksum/config']);
    const s3 = (key: string) => annotations(render({ set: ['objectStore.url=s3://b/p?region=x', 'objectStore.s3.accessKeyId=A', `objectStore.s3.secretAccessKey=${key}`] }));
    expect(s3('one').broker['checksum/secrets']).not.toBe(s3('two').broker['checksum/secrets']);
    expect(s3('one').controller['checksum/secrets']).not.toBe(s3('two').controller['checksum/secrets']);
    expect(annotations(render({ files: [GKE_VALUES], set: ['controller.redisUrl=redis://10.0.0.9:6379'] })).controller['checksum/secrets']).not.toBe(annotations(gke()).controller['checksum/secrets']);
  });
});

describe('object store credentials', () => {
  it('GKE: Workload Identity — the service account annotated with the Google service account, used by every Stratus pod, no keys', () => {
    const objects = gke();
    const values = parseYaml(readFileSync(GKE_VALUES, 'utf8'));
    const [account] = ofKind(objects, 'ServiceAccount');
    expect(account!.metadata.annotations!['iam.gke.io/gcp-service-account']).toBe(values.serviceAccount.gcpServiceAccount);
    for (const pod of [brokerPod(objects), controllerPod(objects)]) {
      expect(pod.spec.serviceAccountName).toBe(account!.metadata.name);
      expect(pod.spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain('AWS_ACCESS_KEY_ID');
    }
    expect(find(objects, 'ConfigMap', BROKER).data!.STRATUS_OBJECT_STORE_URL).toMatch(/^gs:\/\//);
    expect(find(objects, 'ConfigMap', CONTROLLER).data!.STRATUS_OBJECT_STORE_URL).toBe(find(objects, 'ConfigMap', BROKER).data!.STRATUS_OBJECT_STORE_URL);
  });

  it('S3: the credentials from an existing Secret, or from a Secret the chart makes of the values', () => {
    const existing = render({ set: ['objectStore.url=s3://b/p?region=x', 'objectStore.s3.existingSecret=minio-creds'] });
    for (const container of [brokerContainer(existing), controllerPod(existing).spec.containers[0]]) {
      expect(secretRef(envEntry(container, 'AWS_ACCESS_KEY_ID'))).toEqual({ name: 'minio-creds', key: 'AWS_ACCESS_KEY_ID' });
      expect(secretRef(envEntry(container, 'AWS_SECRET_ACCESS_KEY'))).toEqual({ name: 'minio-creds', key: 'AWS_SECRET_ACCESS_KEY' });
    }
    expect(ofKind(existing, 'Secret').map((s) => s.metadata.name)).not.toContain(`${FULL}-s3`);
    const inline = render(EVERYTHING);
    const env = containerEnv(inline, brokerContainer(inline), brokerFacts(inline, 1));
    expect([env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY]).toEqual(['AKIDEXAMPLE', 'secret-example']);
    expect(containerEnv(inline, controllerPod(inline).spec.containers[0], controllerFacts(inline)).AWS_SECRET_ACCESS_KEY).toBe('secret-example');
  });
});

describe('security', () => {
  it('every container: read-only root filesystem, no privilege escalation, all capabilities dropped, non-root; /tmp an emptyDir', () => {
    for (const objects of [render(), gke(), render(EVERYTHING)]) {
      for (const workload of [...ofKind(objects, 'StatefulSet'), ...ofKind(objects, 'Deployment')]) {
        const pod = workload.spec.template.spec;
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          const where = `${workload.metadata.name}/${c.name}`;
          expect(c.securityContext, where).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(c.securityContext.runAsNonRoot ?? pod.securityContext.runAsNonRoot, where).toBe(true);
          const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
          expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir, where).toBeDefined();
        }
        expect(pod.securityContext.seccompProfile, workload.metadata.name).toEqual({ type: 'RuntimeDefault' });
      }
      // The image's user (deploy/Dockerfile: uid/gid 10001) owns the data volume.
      expect(brokerPod(objects).spec.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    }
  });

  it('NetworkPolicies: controllers\' gRPC from the brokers and controllers only, Redis from the controllers only', () => {
    const objects = render(EVERYTHING);
    // The brokers': Kafka, http, and with external access the EXTERNAL listener's port (a port the container declares).
    const brokers = find(objects, 'NetworkPolicy', BROKER);
    expect(selects(brokers.spec.podSelector.matchLabels, brokerPod(objects).metadata.labels)).toBe(true);
    const admitted = brokers.spec.ingress.map((r: { ports: { port: string }[] }) => r.ports[0]!.port);
    expect(admitted).toEqual(['kafka', 'kafka-external', 'http']);
    expect(brokerContainer(objects).ports.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(admitted));
    const cidr = [{ ipBlock: { cidr: '10.20.0.0/16' } }];
    const narrowed = find(render({ ...EVERYTHING, set: ['networkPolicy.externalFrom[0].ipBlock.cidr=10.20.0.0/16'] }), 'NetworkPolicy', BROKER);
    expect(narrowed.spec.ingress[1]).toEqual({ ports: [{ port: 'kafka-external' }], from: cidr });
    expect(find(render({ set: ['networkPolicy.enabled=true'] }), 'NetworkPolicy', BROKER).spec.ingress.map((r: { ports: { port: string }[] }) => r.ports[0]!.port)).toEqual(['kafka', 'http']);
    const policy = find(objects, 'NetworkPolicy', CONTROLLER);
    expect(selects(policy.spec.podSelector.matchLabels, controllerPod(objects).metadata.labels)).toBe(true);
    const grpc = policy.spec.ingress.find((r: { ports: { port: string }[] }) => r.ports[0]!.port === 'grpc');
    const peers = grpc.from.map((p: { podSelector: { matchLabels: Record<string, string> } }) => p.podSelector.matchLabels);
    expect(peers.some((m: Record<string, string>) => selects(m, brokerPod(objects).metadata.labels))).toBe(true);
    expect(peers.some((m: Record<string, string>) => selects(m, find(objects, 'StatefulSet', `${FULL}-redis`).spec.template.metadata.labels))).toBe(false);
    const redis = find(objects, 'NetworkPolicy', `${FULL}-redis`);
    expect(redis.spec.ingress[0].from.map((p: { podSelector: { matchLabels: Record<string, string> } }) => selects(p.podSelector.matchLabels, controllerPod(objects).metadata.labels))).toEqual([true]);
  });

  it('ServiceMonitors select Services with an http port whose pods are the brokers / controllers', () => {
    const objects = render(EVERYTHING);
    const monitors = ofKind(objects, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name)).toEqual([`${FULL}-broker`, `${FULL}-controller`]);
    for (const [monitor, podLabels] of [
      [monitors[0]!, brokerPod(objects).metadata.labels],
      [monitors[1]!, controllerPod(objects).metadata.labels],
    ] as const) {
      const services = ofKind(objects, 'Service').filter((s) => selects(monitor.spec.selector.matchLabels, s.metadata.labels!));
      expect(services).toHaveLength(1);
      expect(services[0]!.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
      expect(selects(services[0]!.spec.selector, podLabels)).toBe(true);
      expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    }
    // The job names the dashboard and the alerts select by, whatever the release is called.
    expect(monitors.map((m) => m.spec.endpoints[0].relabelings)).toEqual(['broker', 'controller'].map((c) => [{ action: 'replace', targetLabel: 'job', replacement: `stratus-${c}` }]));
    const alertJobs = new Set([...readFileSync(join(ROOT, 'deploy', 'alerts.yaml'), 'utf8').matchAll(/job="([^"]+)"/g)].map((m) => m[1]));
    expect([...alertJobs].sort()).toEqual(['stratus-broker', 'stratus-controller']);
  });

  it("PrometheusRule: off by default; on, the rules of deploy/alerts.yaml as they are, with the labels asked for", () => {
    expect(ofKind(render({}), 'PrometheusRule')).toEqual([]);
    const rules = ofKind(render(EVERYTHING), 'PrometheusRule');
    expect(rules.map((r) => [r.apiVersion, r.metadata.name, r.metadata.namespace])).toEqual([['monitoring.coreos.com/v1', FULL, NAMESPACE]]);
    expect(rules[0]!.metadata.labels?.['release']).toBe('prometheus');
    const file = parseYaml(readFileSync(join(ROOT, 'deploy', 'alerts.yaml'), 'utf8')) as { groups: unknown[] };
    expect(rules[0]!.spec).toEqual({ groups: file.groups });
    expect(file.groups.length).toBeGreaterThan(0);
  });
});

describe('values.schema.json', () => {
  it.each([
    ['a number as text', ['broker.replicas=three'], "at '/broker/replicas'"],
    ['one controller', ['controller.replicas=1'], "at '/controller/replicas'"],
    ['a process setting of the wrong type', ['broker.config.wal.segmentBytes=big'], "at '/broker/config/wal/segmentBytes'"],
    ['a misspelled process setting', ['controller.config.compaction.enabeld=true'], "at '/controller/config/compaction'"],
    ['a setting the chart owns', ['broker.config.node.id=7'], "at '/broker/config'"],
    ['an unknown rack source', ['broker.rack.source=zone'], "at '/broker/rack/source'"],
    ['a misspelled Kubernetes field', ['containerSecurityContext.readOnlyRootFileSystem=true'], "at '/containerSecurityContext'"],
    ['an unknown top-level value', ['brokers.replicas=3'], 'brokers'],
  ])('rejects %s (helm template fails)', (_name, set, message) => {
    const r = helmTemplate(helm, { set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(message);
  });

  it.each([
    ['values.yaml', join(CHART, 'values.yaml')],
    ['values-gke.yaml', GKE_VALUES],
  ])('describes every value of %s', (_name, file) => {
    const schema = JSON.parse(readFileSync(VALUES_SCHEMA_FILE, 'utf8'));
    const values = parseYaml(readFileSync(file, 'utf8'));
    const paths = leafPaths(values);
    expect(paths.length).toBeGreaterThan(50);
    const undescribed = paths.filter((path) => {
      const s = schemaAt(schema, path) as Record<string, unknown> | undefined;
      return s === undefined || !['type', 'enum', 'oneOf', 'anyOf', 'const'].some((k) => k in s);
    });
    expect(undescribed.map((p) => p.join('.'))).toEqual([]);
  });

  it('its generated parts are what the processes\' schemas and the Kubernetes schemas say now (node helm/tools/config-schema.ts --write)', () => {
    const current = readFileSync(VALUES_SCHEMA_FILE, 'utf8');
    expect(current === expectedValuesSchemaText(current, join(schemaRoot, `v${K8S_SCHEMA_VERSION}-standalone-strict`))).toBe(true);
  });
});
