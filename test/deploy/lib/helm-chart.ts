// What test/deploy/helm.test.ts does with the chart: render it with the real helm, find
// the rendered objects, and work out the environment a container would get from
// Kubernetes (envFrom ConfigMaps, fieldRefs, Secrets, $(VAR) expansion) — so the test can
// hand that environment to the real `stratus config check`.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const CHART = join(ROOT, 'helm', 'stratus');
export const GKE_VALUES = join(CHART, 'values-gke.yaml');
export const RELEASE = 'demo';
export const NAMESPACE = 'streaming';

/** A Kubernetes object as rendered (only what the test reads is typed). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the test walks many kinds' specs
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  readonly rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  readonly roleRef?: { kind: string; name: string };
  readonly subjects?: { kind: string; name: string; namespace: string }[];
}

export interface Rendered {
  readonly status: number;
  readonly stderr: string;
  readonly text: string;
  readonly objects: readonly K8sObject[];
}

export interface RenderOptions {
  readonly files?: readonly string[];
  /** A values file's text, after the files (given to helm on stdin: `-f -`). */
  readonly values?: string;
  readonly set?: readonly string[];
}

export function helmTemplate(helm: string, options: RenderOptions = {}): Rendered {
  const args = ['template', RELEASE, CHART, '--namespace', NAMESPACE, ...(options.files ?? []).flatMap((f) => ['-f', f]), ...(options.values !== undefined ? ['-f', '-'] : []), ...(options.set ?? []).flatMap((s) => ['--set', s])];
  const r = spawnSync(helm, args, { encoding: 'utf8', ...(options.values !== undefined ? { input: options.values } : {}) });
  const objects = r.status === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null) : [];
  return { status: r.status ?? -1, stderr: r.stderr, text: r.stdout, objects };
}

/** The one object of a kind and name (a failed expectation names what was rendered). */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}; rendered: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export const ofKind = (objects: readonly K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

/** Whether a label selector's matchLabels (or a Service's selector) picks a pod with these labels. */
export function selects(selector: Record<string, string>, podLabels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
}

/** What the downward API would give one pod. */
export interface PodFacts {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly podIP: string;
  readonly hostIP: string;
  readonly nodeName: string;
}

/** A container's environment as Kubernetes builds it (envFrom first, then env in order, each able to use the ones before). */
export function containerEnv(objects: readonly K8sObject[], container: any, pod: PodFacts): Record<string, string> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    Object.assign(env, find(objects, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    else if (e.valueFrom?.fieldRef !== undefined) env[e.name] = fieldRef(e.valueFrom.fieldRef.fieldPath, pod);
    else if (e.valueFrom?.secretKeyRef !== undefined) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const secret = find(objects, 'Secret', name);
      const value = secret.stringData?.[key];
      if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
      env[e.name] = value;
    } else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e)}`);
  }
  return env;
}

function fieldRef(path: string, pod: PodFacts): string {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label !== null) return pod.labels[label[1]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'status.podIP':
      return pod.podIP;
    case 'status.hostIP':
      return pod.hostIP;
    case 'spec.nodeName':
      return pod.nodeName;
    default:
      throw new Error(`fieldRef ${path}: not modelled`);
  }
}

/** Every leaf path of a values tree (a leaf: a scalar, an empty map or an empty list; list items as []). */
export function leafPaths(tree: unknown, prefix: string[] = []): string[][] {
  if (Array.isArray(tree)) return tree.length === 0 ? [prefix] : tree.flatMap((item) => leafPaths(item, [...prefix, '[]']));
  if (typeof tree === 'object' && tree !== null) {
    const entries = Object.entries(tree);
    return entries.length === 0 ? [prefix] : entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

/** The schema a values path is validated by, or undefined when the schema does not describe it. */
export function schemaAt(schema: any, path: readonly string[]): unknown { // eslint-disable-line @typescript-eslint/no-explicit-any
  let node = schema;
  for (const part of path) {
    if (node === undefined) return undefined;
    if (part === '[]') node = node.items;
    else if (node.properties?.[part] !== undefined) node = node.properties[part];
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return undefined;
  }
  return node;
}
