// The brokers' identity initContainer (run by the Stratus image's node; no other tool in
// it): works out what a broker pod can only learn at run time and writes it as a small
// configuration file, which the broker reads with --config (its STRATUS_* variables, set
// by the chart, apply on top of it):
//  - kafka.rack: the zone of the node the pod runs on (KIP-392 zone-local reads). A pod is
//    not given its node's labels, so this reads the node through the Kubernetes API with
//    the pod's service account token (a ClusterRole allows `get` on nodes).
//  - kafka.advertisedListeners, with external access: INTERNAL as the chart gives it (the
//    pod's name under the headless Service) and EXTERNAL as the address of the pod's own
//    external Service (per-broker LoadBalancer or NodePort), which differs per pod — a
//    StatefulSet's pods share one template, so the chart cannot write it into their
//    environment (and the whole list lives here: the environment would win over the file).
// Everything comes from environment variables the chart sets (see the StatefulSet):
//   IDENTITY_FILE           where to write (an emptyDir the broker container mounts)
//   POD_INDEX               the pod's ordinal (label apps.kubernetes.io/pod-index)
//   RACK_SOURCE             nodeApi, or empty for no rack from here
//   RACK_REQUIRED           true: fail when the node has no zone label
//   NODE_NAME, HOST_IP      the pod's node (spec.nodeName, status.hostIP)
//   EXTERNAL_TYPE           LoadBalancer, NodePort, or empty
//   INTERNAL_ADVERTISED_LISTENER  INTERNAL://<pod>.<headless service>...:port, as is
//   EXTERNAL_LISTENER       the external listener's name (EXTERNAL)
//   EXTERNAL_HOSTS          comma-separated, one per broker in ordinal order, or
//   EXTERNAL_HOST_TEMPLATE  with {index} (the ordinal) and {hostIP}
//   EXTERNAL_PORT           LoadBalancer: the port; NodePort: the first broker's node port
//   ORDINAL_START           the first ordinal (the NodePort and EXTERNAL_HOSTS offset)
//   KUBERNETES_SERVICE_HOST / _PORT   the API server (set in every pod by Kubernetes)
//   SERVICE_ACCOUNT_DIR     token and ca.crt (default: the standard mount)
// Exit code 0 with the file written, 1 with one line saying what is wrong.

import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const API_ATTEMPTS = 5;
const API_TIMEOUT_MS = 10_000;
const API_RETRY_MS = 1_000;

const env = process.env;

function fail(message) {
  console.error(`broker-identity: ${message}`);
  process.exit(1);
}

function intFrom(name) {
  const raw = env[name] ?? '';
  if (!/^\d+$/.test(raw)) fail(`${name} must be a non-negative integer (got "${raw}")`);
  return Number(raw);
}

function getJson(path) {
  const dir = env.SERVICE_ACCOUNT_DIR || '/var/run/secrets/kubernetes.io/serviceaccount';
  const token = readFileSync(`${dir}/token`, 'utf8').trim();
  const ca = readFileSync(`${dir}/ca.crt`);
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) fail('KUBERNETES_SERVICE_HOST is not set (not running in a pod?)');
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(env.KUBERNETES_SERVICE_PORT || 443), path, ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: API_TIMEOUT_MS },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(Object.assign(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`), { status: res.statusCode }));
          else resolve(JSON.parse(body));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${API_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function nodeZone() {
  const node = env.NODE_NAME;
  if (!node) fail('NODE_NAME is not set');
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await getJson(`/api/v1/nodes/${encodeURIComponent(node)}`);
      return body?.metadata?.labels?.[ZONE_LABEL];
    } catch (e) {
      // 401/403 will not get better: RBAC or the token is wrong.
      if (attempt >= API_ATTEMPTS || e.status === 401 || e.status === 403) fail(`reading node ${node}: ${e.message}`);
      console.error(`broker-identity: reading node ${node} failed (${e.message}); trying again`);
      await new Promise((r) => setTimeout(r, API_RETRY_MS));
    }
  }
}

function externalAddress(index) {
  const type = env.EXTERNAL_TYPE;
  if (type !== 'LoadBalancer' && type !== 'NodePort') fail(`EXTERNAL_TYPE must be LoadBalancer or NodePort (got "${type}")`);
  const position = index - intFrom('ORDINAL_START');
  if (position < 0) fail(`POD_INDEX ${index} is below ORDINAL_START`);
  const hosts = (env.EXTERNAL_HOSTS ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
  let host;
  if (hosts.length > 0) {
    host = hosts[position];
    if (host === undefined) fail(`broker.externalAccess.hosts has ${hosts.length} address(es); broker ${index} needs one at position ${position}`);
  } else if (env.EXTERNAL_HOST_TEMPLATE) {
    host = env.EXTERNAL_HOST_TEMPLATE.replaceAll('{index}', String(index)).replaceAll('{hostIP}', env.HOST_IP ?? '');
  } else {
    fail('external access needs broker.externalAccess.hosts or broker.externalAccess.hostTemplate');
  }
  if (host.includes('{hostIP}') || host === '') fail('HOST_IP is not set');
  const port = type === 'NodePort' ? intFrom('EXTERNAL_PORT') + position : intFrom('EXTERNAL_PORT');
  return { host, port };
}

const index = intFrom('POD_INDEX');
const kafka = {};
if (env.RACK_SOURCE === 'nodeApi') {
  const zone = await nodeZone();
  if (zone) kafka.rack = zone;
  else if (env.RACK_REQUIRED === 'true') fail(`node ${env.NODE_NAME} has no ${ZONE_LABEL} label (broker.rack.required)`);
  else console.error(`broker-identity: node ${env.NODE_NAME} has no ${ZONE_LABEL} label: the broker runs without a rack`);
}
if (env.EXTERNAL_TYPE) {
  const { host, port } = externalAddress(index);
  if (!env.INTERNAL_ADVERTISED_LISTENER) fail('INTERNAL_ADVERTISED_LISTENER is not set');
  if (!env.EXTERNAL_LISTENER) fail('EXTERNAL_LISTENER is not set');
  // Kafka's syntax puts an IPv6 address in brackets.
  const external = `${env.EXTERNAL_LISTENER}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  kafka.advertisedListeners = `${env.INTERNAL_ADVERTISED_LISTENER},${external}`;
}

// JSON strings are YAML strings: no quoting rules to get wrong.
const lines = ['# Written by the broker-identity initContainer (helm/stratus/files/broker-identity.mjs).'];
if (Object.keys(kafka).length === 0) lines.push('{}');
else lines.push('kafka:', ...Object.entries(kafka).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`));
writeFileSync(env.IDENTITY_FILE || '/run/stratus/identity.yaml', `${lines.join('\n')}\n`);
console.error(`broker-identity: broker ${index}: ${Object.keys(kafka).length === 0 ? 'nothing to set' : JSON.stringify(kafka)}`);
