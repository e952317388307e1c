// The generated parts of helm/stratus/values.schema.json. The chart's own values are
// written by hand there; two kinds of value are described by schemas that exist elsewhere
// and are copied in, so that they stay exactly what the processes and Kubernetes accept:
//  - broker.config / controller.config: the processes' configuration schemas, as
//    `stratus config schema broker|controller` prints them (generated from the zod schemas
//    start-up validates with), less the keys the chart sets itself (CHART_OWNED);
//  - Kubernetes objects passed through as they are (securityContext, resources,
//    tolerations, env, volumeMounts, NetworkPolicy peers): the object schemas
//    test/peers/k8s-schemas.sh generates for kubeconform.
// A place to fill is an object whose "$comment" is "generated: stratus config schema
// COMMAND" or "generated: kubernetes FILE" (FILE a schema file name without .json); the
// rest of that object is replaced. test/deploy/helm.test.ts fails when the committed file
// differs from what this produces.
//
//   node helm/tools/config-schema.ts --write     # rewrite values.schema.json

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VALUES_SCHEMA_FILE = join(ROOT, 'helm', 'stratus', 'values.schema.json');
const CLI = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const K8S_SCHEMAS_SCRIPT = join(ROOT, 'test', 'peers', 'k8s-schemas.sh');
/** The Kubernetes version test/peers/k8s-schemas.sh generates (its K8S_VERSION). */
export const K8S_SCHEMA_VERSION = '1.35.4';

/**
 * Keys of each process's configuration that the chart sets from its own values (ports,
 * addresses, identity, stores, shutdown timeouts): not settable through broker.config /
 * controller.config, where a second value would silently lose to the chart's.
 */
export const CHART_OWNED: Readonly<Record<'broker' | 'controller', readonly string[]>> = {
  broker: [
    'node',
    'dataDir',
    'clusterName',
    'controller.endpoints',
    'kafka.host',
    'kafka.port',
    'kafka.advertisedHost',
    'kafka.advertisedPort',
    'kafka.listeners',
    'kafka.advertisedListeners',
    'kafka.allowPlaintextExternal',
    'kafka.rack',
    'kafka.shutdownDrain',
    'http',
    'objectStore.url',
    'storage.shutdownFlushTimeout',
    'cluster.shutdownDrainTimeout',
    // Passwords: from a Secret as STRATUS_SASL_ADMIN_PASSWORD, never in the ConfigMap broker.config becomes.
    'sasl.adminPassword',
    'sasl.users',
    // Kafka security: the chart's `security` values (templates/broker/kafka-security.yaml).
    'kafka.listenerSecurityProtocolMap',
    'kafka.ssl.certFile',
    'kafka.ssl.keyFile',
    'sasl.adminUser',
    'sasl.mechanisms',
    'authorization.enabled',
    'authorization.superUsers',
    'authorization.allowEveryoneIfNoAclFound',
  ],
  // admin.apiToken: from a Secret (values admin.apiToken), never in the ConfigMap controller.config becomes.
  controller: ['name', 'clusterName', 'grpc.host', 'grpc.port', 'grpc.advertisedHost', 'grpc.advertisedPort', 'metadata', 'http', 'objectStore.url', 'admin.apiToken'],
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `stratus config schema COMMAND` without the chart's keys and the file-level title. */
export function processConfigSchema(command: 'broker' | 'controller'): Json {
  const full = JSON.parse(execFileSync(process.execPath, [CLI, 'config', 'schema', command], { encoding: 'utf8' })) as Json;
  const { $schema: _schema, title: _title, description: _description, ...schema } = full;
  for (const key of CHART_OWNED[command]) removeKey(schema, key.split('.'));
  return {
    description: `Settings of config/${command}.yaml, nested as there, passed to the ${command}s as STRATUS_* variables (generated from \`stratus config schema ${command}\`, without the keys the chart sets)`,
    ...schema,
  };
}

function removeKey(schema: Json, path: readonly string[]): void {
  const [head, ...rest] = path;
  const props = schema.properties;
  if (head === undefined || !isObject(props) || !(head in props)) throw new Error(`chart-owned key ${path.join('.')} is not in the configuration schema: update CHART_OWNED`);
  if (rest.length > 0) {
    removeKey(props[head] as Json, rest);
    return;
  }
  delete props[head];
  if (Array.isArray(schema.required)) {
    schema.required = schema.required.filter((k) => k !== head);
    if ((schema.required as unknown[]).length === 0) delete schema.required;
  }
}

/** The directory of the generated Kubernetes schemas (generated once by test/peers/k8s-schemas.sh). */
export function kubernetesSchemaDir(): string {
  const root = execFileSync('bash', [K8S_SCHEMAS_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return join(root, `v${K8S_SCHEMA_VERSION}-standalone-strict`);
}

function kubernetesSchema(dir: string, file: string): Json {
  const schema = JSON.parse(readFileSync(join(dir, `${file}.json`), 'utf8')) as Json;
  // The converter leaves the root open (kubeconform's default); nested objects are closed.
  if (isObject(schema.properties) && schema.additionalProperties === undefined) schema.additionalProperties = false;
  return schema;
}

const MARK = 'generated: ';

/** The schema with every generated place filled in again. */
export function fillGenerated(schema: unknown, k8sDir: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => fillGenerated(s, k8sDir));
  if (!isObject(schema)) return schema;
  const comment = schema.$comment;
  if (typeof comment === 'string' && comment.startsWith(MARK)) {
    const what = comment.slice(MARK.length);
    const stratus = /^stratus config schema (broker|controller)$/.exec(what);
    const kubernetes = /^kubernetes ([a-z0-9-]+)$/.exec(what);
    if (stratus !== null) return { $comment: comment, ...processConfigSchema(stratus[1] as 'broker' | 'controller') };
    if (kubernetes !== null) return { $comment: comment, ...kubernetesSchema(k8sDir, kubernetes[1]!) };
    throw new Error(`unknown generated part: ${comment}`);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, fillGenerated(v, k8sDir)]));
}

/** What values.schema.json should hold, from its current text. */
export function expectedValuesSchemaText(current: string, k8sDir = kubernetesSchemaDir()): string {
  return `${JSON.stringify(fillGenerated(JSON.parse(current), k8sDir), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(VALUES_SCHEMA_FILE, 'utf8');
  const expected = expectedValuesSchemaText(current);
  if (process.argv.includes('--write')) {
    writeFileSync(VALUES_SCHEMA_FILE, expected);
    console.error(current === expected ? 'values.schema.json: up to date' : 'values.schema.json: generated parts rewritten');
  } else {
    console.error(current === expected ? 'values.schema.json: up to date' : 'values.schema.json: generated parts differ (run with --write)');
    process.exitCode = current === expected ? 0 : 1;
  }
}
