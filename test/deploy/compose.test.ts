// docker-compose.yml, checked without a Docker engine (issue 11 §2): Debian's
// docker-compose validates it (`config -q`) and renders it (`config`, every anchor,
// merge and variable resolved), and the rendered services are asserted — MinIO and its
// bucket job, Redis with AOF and an fsync per write, 2 controllers, 3 brokers with an
// INTERNAL listener on the compose network and an EXTERNAL one published at 19092-19094
// (each a valid broker configuration with the image's own ENV, by `stratus config check`),
// named volumes, health checks, start order, stop grace — then compared with
// what `npm run cluster` runs: a real cluster of processes (test/cluster/lib/cluster.ts)
// is started and each compose service's environment must be its process's, up to the
// addresses a container network changes. The monitoring profile's Prometheus config is
// validated by promtool (with the alerting rules of deploy/alerts.yaml it loads) and must
// scrape every controller and broker, and every series the Grafana dashboard
// (deploy/grafana/stratus.json) and the alerts query must be one those real processes
// export (so neither can drift from services/cli/src/*metrics.ts).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_PORTS, startCluster } from '../cluster/lib/cluster.ts';
import type { Cluster } from '../cluster/lib/cluster.ts';
import { kafkaClient } from '../cluster/lib/kafka-clients.ts';
import { samplesOf, selectorsOf, served } from './lib/dashboard-selectors.ts';
import type { Sample } from './lib/dashboard-selectors.ts';
import { parseDockerfile, stageKeyValues } from './dockerfile.ts';
import { STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CONTROLLERS = ['controller-1', 'controller-2'];
const BROKERS = ['broker-1', 'broker-2', 'broker-3'];
const STRATUS = [...CONTROLLERS, ...BROKERS];
const MONITORING = ['prometheus', 'grafana'];
const ONE_SHOT = ['minio-bucket'];
const SERVICES = ['minio', ...ONE_SHOT, 'redis', ...STRATUS, ...MONITORING];
/** Series Prometheus makes itself for each target rather than reading them from /metrics. */
const PROMETHEUS_OWN_SERIES = ['up'];
/**
 * The settings a process in a container needs besides those cluster.ts gives the same
 * process on loopback: it listens on every interface (cluster.ts's processes keep the
 * 127.0.0.1 defaults) and says where it is reached — a broker on two Kafka listeners,
 * INTERNAL for the compose network and EXTERNAL for the host, where a process of
 * `npm run cluster` has one (STRATUS_KAFKA_PORT, PROCESS_ONLY) — and, plaintext beyond
 * loopback being refused unless allowed, says that its plaintext listeners are intended.
 */
const CONTAINER_ONLY = {
  controller: ['STRATUS_HTTP_HOST', 'STRATUS_GRPC_HOST', 'STRATUS_GRPC_ADVERTISED_HOST'],
  broker: ['STRATUS_HTTP_HOST', 'STRATUS_KAFKA_HOST', 'STRATUS_KAFKA_LISTENERS', 'STRATUS_KAFKA_ADVERTISED_LISTENERS', 'STRATUS_KAFKA_ALLOW_PLAINTEXT_EXTERNAL'],
} as const;
const PROCESS_ONLY = { controller: [], broker: ['STRATUS_KAFKA_PORT'] } as const;
/** The port of the INTERNAL listener in every broker container (the Kafka default; not published). */
const INTERNAL_PORT = 9092;
const ROOT_MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
/** The image's own ENV (deploy/Dockerfile's last stage): what every container starts with. */
const IMAGE_ENV = stageKeyValues(parseDockerfile(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8')).at(-1)!, 'ENV');
/** Settings whose values must be exactly those of cluster.ts (the others are addresses, compared by shape). */
const SAME_VALUE = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'STRATUS_LOG_LEVEL', 'STRATUS_LOG_PRETTY', 'STRATUS_NAME', 'STRATUS_NODE_ID', 'STRATUS_KAFKA_RACK'];

interface Service {
  readonly image?: string;
  readonly build?: { context: string; dockerfile: string };
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: (string | { published: number | string; target: number; host_ip?: string })[];
  readonly volumes?: (string | { type: string; source: string; target: string })[];
  readonly healthcheck?: { test: string[] | string; disable?: boolean };
  readonly depends_on?: Record<string, { condition: string }>;
  readonly profiles?: string[];
  readonly restart?: string;
  readonly stop_grace_period?: string;
}

interface Rendered {
  readonly services: Record<string, Service>;
  readonly volumes: Record<string, unknown>;
}

function dockerCompose(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  // Only PATH and HOME from the environment: a COMPOSE_* or STRATUS_EXTERNAL_HOST of the caller's must not change what is rendered.
  const r = spawnSync('docker-compose', ['--project-directory', ROOT, '-f', join(ROOT, 'docker-compose.yml'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(env: Record<string, string> = {}): Rendered {
  const r = dockerCompose(['config'], env);
  if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
  return parseYaml(r.stdout) as Rendered;
}

/** A published port, from either of the forms docker-compose renders ("127.0.0.1:19390:19390/tcp" or { published, target }). */
function portsOf(s: Service): { hostIp: string | undefined; published: number | undefined; target: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { hostIp: p.host_ip, published: Number(p.published), target: p.target };
    const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 3) return { hostIp: parts[0], published: Number(parts[1]), target: Number(parts[2]) };
    if (parts.length === 2) return { hostIp: undefined, published: Number(parts[0]), target: Number(parts[1]) };
    return { hostIp: undefined, published: undefined, target: Number(parts[0]) };
  });
}

function volumesOf(s: Service): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target };
    const [source, target] = v.split(':');
    return { source: source!, target: target! };
  });
}

/** Seconds of a duration like 90s, 1m30s, 500ms (docker-compose's and config/*.yaml's). */
function seconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a duration: ${d}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

/** A default from config/<file>.yaml, which shows every key with its default. */
function exampleDefault(file: string, path: string): string {
  let node: unknown = parseYaml(readFileSync(join(ROOT, 'config', file), 'utf8'));
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  if (typeof node !== 'string') throw new Error(`config/${file}: ${path} is not a duration`);
  return node;
}

let rendered: Rendered;
const svc = (name: string): Service => {
  const s = rendered.services[name];
  if (s === undefined) throw new Error(`no service ${name}`);
  return s;
};
const env = (name: string): Record<string, string> => svc(name).environment ?? {};

beforeAll(() => {
  // Idempotent; installs docker-compose and promtool from Debian's packages on a fresh machine.
  const tools = spawnSync('bash', [join(ROOT, 'test/peers/compose-tools.sh')], { encoding: 'utf8' });
  if (tools.status !== 0) throw new Error(`test/peers/compose-tools.sh failed:\n${tools.stderr}`);
  rendered = render();
}, 300_000);

describe('docker-compose.yml, as docker-compose renders it', () => {
  it('is valid: `docker-compose config -q` exits 0 and says nothing', () => {
    const r = dockerCompose(['config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has MinIO, its bucket job, Redis, 2 controllers and 3 brokers; Prometheus and Grafana only in the monitoring profile', () => {
    expect(Object.keys(rendered.services).sort()).toEqual([...SERVICES].sort());
    for (const name of SERVICES) expect(svc(name).profiles ?? [], name).toEqual(MONITORING.includes(name) ? ['monitoring'] : []);
  });

  it('builds the controllers and brokers from deploy/Dockerfile as one image, the process as its command', () => {
    const images = new Set(STRATUS.map((s) => svc(s).image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^stratus:/);
    for (const s of STRATUS) {
      expect(svc(s).build).toEqual({ context: ROOT, dockerfile: 'deploy/Dockerfile' });
      expect(svc(s).command).toEqual([CONTROLLERS.includes(s) ? 'controller' : 'broker']);
    }
    expect(existsSync(join(ROOT, 'deploy/Dockerfile'))).toBe(true);
  });

  it('gives each broker an INTERNAL listener for the compose network (broker-N:9092) and an EXTERNAL one published at 19092-19094, each advertised where its clients reach it; everything on loopback only by default', () => {
    BROKERS.forEach((b, i) => {
      const port = FIXED_PORTS.broker + i;
      expect(env(b)['STRATUS_KAFKA_LISTENERS']).toBe(`INTERNAL://:${INTERNAL_PORT},EXTERNAL://:${port}`);
      expect(env(b)['STRATUS_KAFKA_ADVERTISED_LISTENERS']).toBe(`INTERNAL://${b}:${INTERNAL_PORT},EXTERNAL://127.0.0.1:${port}`);
      // A listener written without a host binds kafka.host: every interface of the container.
      expect(env(b)['STRATUS_KAFKA_HOST']).toBe('0.0.0.0');
      for (const key of ['STRATUS_KAFKA_PORT', 'STRATUS_KAFKA_ADVERTISED_HOST', 'STRATUS_KAFKA_ADVERTISED_PORT']) expect(env(b)[key], `${b} ${key}: not with listeners`).toBeUndefined();
      // EXTERNAL is published at the port it listens on and advertises; INTERNAL is not published.
      expect(portsOf(svc(b)).filter((p) => p.target === port)).toEqual([{ hostIp: '127.0.0.1', published: port, target: port }]);
      expect(portsOf(svc(b)).filter((p) => p.target === INTERNAL_PORT)).toEqual([]);
    });
    for (const s of STRATUS) {
      const http = Number(env(s)['STRATUS_HTTP_PORT']);
      expect(portsOf(svc(s)).filter((p) => p.target === http)).toEqual([{ hostIp: '127.0.0.1', published: http, target: http }]);
    }
    for (const name of SERVICES) for (const p of portsOf(svc(name))) expect(p.hostIp, `${name} ${p.target}`).toBe('127.0.0.1');
  });

  it("keeps each broker's WAL, Redis's data and MinIO's objects in named volumes", () => {
    const named = (s: string) => volumesOf(svc(s)).filter((v) => v.source in rendered.volumes);
    const walVolumes = BROKERS.map((b) => {
      const [wal, ...more] = named(b);
      expect(more, b).toEqual([]);
      expect(wal?.target, `${b}'s volume holds its data directory`).toBe(env(b)['STRATUS_DATA_DIR']);
      return wal!.source;
    });
    expect(new Set(walVolumes).size).toBe(BROKERS.length);
    expect(named('redis')).toEqual([{ source: 'redis-data', target: '/data' }]);
    const minioData = svc('minio').command?.[1];
    expect(svc('minio').command?.[0]).toBe('server');
    expect(named('minio')).toEqual([{ source: 'minio-data', target: minioData }]);
    for (const s of CONTROLLERS) expect(named(s), `${s} keeps no state of its own`).toEqual([]);
  });

  it('has a health check on every long-running service (readiness for controllers and brokers); the bucket job runs once', () => {
    for (const name of SERVICES.filter((s) => !ONE_SHOT.includes(s))) {
      const hc = svc(name).healthcheck;
      expect(hc?.disable ?? false, name).toBe(false);
      expect(Array.isArray(hc?.test) ? hc.test[0] : undefined, name).toMatch(/^CMD(-SHELL)?$/);
      expect(svc(name).restart, name).toBe('unless-stopped');
    }
    for (const s of STRATUS) {
      const test = svc(s).healthcheck!.test as string[];
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test[3]).toContain("process.env.STRATUS_HTTP_PORT + '/readyz'");
    }
    const job = svc('minio-bucket');
    expect(job.restart).toBe('no');
    expect(job.healthcheck).toBeUndefined();
    const bucket = new URL(env('broker-1')['STRATUS_OBJECT_STORE_URL']!).hostname;
    expect(job.command?.join(' ')).toMatch(new RegExp(`mc mb --ignore-existing local/${bucket}$`));
  });

  it('starts in order: the bucket after MinIO is healthy, controllers after Redis is healthy and the bucket made, brokers after healthy controllers', () => {
    expect(svc('minio-bucket').depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    for (const c of CONTROLLERS) expect(svc(c).depends_on).toEqual({ redis: { condition: 'service_healthy' }, 'minio-bucket': { condition: 'service_completed_successfully' } });
    for (const b of BROKERS) expect(svc(b).depends_on).toEqual(Object.fromEntries(CONTROLLERS.map((c) => [c, { condition: 'service_healthy' }])));
    expect(svc('grafana').depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
  });

  it('runs Redis with AOF and an fsync before every write is acknowledged', () => {
    const command = svc('redis').command ?? [];
    expect(command[0]).toBe('redis-server');
    const flag = (name: string) => command[command.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('always');
    expect(env('controller-1')['STRATUS_METADATA_URL']).toBe(`redis://redis:${portsOf(svc('redis'))[0]!.target}`);
    expect(portsOf(svc('redis'))[0]!.target).toBe(6379);
  });

  it("gives a stopping broker or controller the time its drain can take (Docker's default 10 s would SIGKILL it halfway)", () => {
    const brokerStop = ['cluster.shutdownDrainTimeout', 'kafka.shutdownDrain', 'storage.shutdownFlushTimeout'].reduce((sum, key) => sum + seconds(exampleDefault('broker.yaml', key)), 0);
    const controllerStop = ['grpc.shutdownGrace', 'election.closeTimeout'].reduce((sum, key) => sum + seconds(exampleDefault('controller.yaml', key)), 0);
    for (const b of BROKERS) expect(seconds(svc(b).stop_grace_period ?? '10s'), b).toBeGreaterThan(brokerStop);
    for (const c of CONTROLLERS) expect(seconds(svc(c).stop_grace_period ?? '10s'), c).toBeGreaterThan(controllerStop);
  });

  it('publishes and advertises the EXTERNAL listeners at STRATUS_EXTERNAL_HOST when it is set (clients on other machines); INTERNAL stays', () => {
    const hostIp = '192.0.2.10'; // a documentation address: only rendered, never reached
    const other = render({ STRATUS_EXTERNAL_HOST: hostIp });
    BROKERS.forEach((b, i) => {
      const port = FIXED_PORTS.broker + i;
      expect(other.services[b]?.environment?.['STRATUS_KAFKA_ADVERTISED_LISTENERS']).toBe(`INTERNAL://${b}:${INTERNAL_PORT},EXTERNAL://${hostIp}:${port}`);
      expect(portsOf(other.services[b]!).filter((p) => p.target === port)).toEqual([{ hostIp, published: port, target: port }]);
    });
  });

  it("each broker's environment over the image's ENV is a valid broker configuration (stratus config check --env, the process's own check)", () => {
    expect(IMAGE_ENV['STRATUS_KAFKA_HOST'], 'the image binds every interface too').toBe('0.0.0.0');
    const dir = mkdtempSync(join(tmpdir(), 'compose-config-'));
    try {
      const empty = join(dir, 'broker.yaml');
      writeFileSync(empty, '');
      for (const b of BROKERS) {
        const r = spawnSync(process.execPath, [...STRATUS_NODE_FLAGS, ROOT_MAIN, 'config', 'check', empty, '--for', 'broker', '--env'], {
          env: { PATH: process.env['PATH'] ?? '', ...IMAGE_ENV, ...env(b) },
          encoding: 'utf8',
        });
        expect(r.stdout + r.stderr, b).toContain('OK, a valid stratus broker configuration');
        expect(r.status, b).toBe(0);
      }
      // The check can fail: the image's kafka.host beside listeners that all name their host.
      const named = { ...env('broker-1'), STRATUS_KAFKA_LISTENERS: `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${FIXED_PORTS.broker}` };
      const r = spawnSync(process.execPath, [...STRATUS_NODE_FLAGS, ROOT_MAIN, 'config', 'check', empty, '--for', 'broker', '--env'], { env: { PATH: process.env['PATH'] ?? '', ...IMAGE_ENV, ...named }, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).toContain('kafka.host (from STRATUS_KAFKA_HOST): cannot be set together with kafka.listeners');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface PrometheusConfig {
  readonly scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
}

const prometheusYml = join(ROOT, 'deploy/prometheus/prometheus.yml');
const readYaml = <T>(path: string): T => parseYaml(readFileSync(join(ROOT, path), 'utf8')) as T;
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/stratus.json'), 'utf8')) as {
  panels: { title: string; type: string; datasource?: { uid: string }; targets?: { expr: string; datasource?: { uid: string } }[]; panels?: unknown[] }[];
  templating: { list: { name: string; type: string; query: string; current?: { value: string } }[] };
};
/** Every panel, those inside rows too. */
const panels = dashboard.panels.flatMap((p) => [p, ...((p.panels ?? []) as typeof dashboard.panels)]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** The alerting rules' expressions (deploy/alerts.yaml), checked like the panels' queries. */
const alertQueries = parseYaml(readFileSync(join(ROOT, 'deploy/alerts.yaml'), 'utf8')).groups.flatMap((g: { rules: { alert: string; expr: string }[] }) =>
  g.rules.map((r) => ({ panel: `alert ${r.alert}`, expr: r.expr })),
) as { panel: string; expr: string }[];

/** job name → the compose services it scrapes (by the targets' host names). */
function scrapeJobs(): Map<string, string[]> {
  const config = readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
  return new Map(config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets).map((t) => t.split(':')[0]!)]));
}

describe("the monitoring profile's Prometheus and Grafana", () => {
  it('promtool accepts deploy/prometheus/prometheus.yml', () => {
    const r = spawnSync('promtool', ['check', 'config', prometheusYml], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it("scrapes every controller's and broker's /metrics, at the service's HTTP port, and is the file Prometheus runs with", () => {
    const config = readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
    const at = (s: string) => `${s}:${env(s)['STRATUS_HTTP_PORT']}`;
    expect(jobs).toEqual({ 'stratus-controller': CONTROLLERS.map(at), 'stratus-broker': BROKERS.map(at) });
    for (const j of config.scrape_configs) expect(j.metrics_path ?? '/metrics').toBe('/metrics');
    const mount = volumesOf(svc('prometheus')).find((v) => v.source === prometheusYml);
    expect(svc('prometheus').command).toContain(`--config.file=${mount?.target}`);
  });

  it('evaluates deploy/alerts.yaml: the rule file prometheus.yml names is the one mounted beside it', () => {
    const config = readYaml<{ rule_files?: string[] }>('deploy/prometheus/prometheus.yml');
    const mounts = volumesOf(svc('prometheus'));
    const configTarget = mounts.find((v) => v.source === prometheusYml)!.target;
    const alertsTarget = mounts.find((v) => v.source === join(ROOT, 'deploy/alerts.yaml'))?.target;
    expect(config.rule_files?.map((f) => resolve(dirname(configTarget), f))).toEqual([alertsTarget]);
    // promtool resolves it the same way in the repository, and checks the rules too.
    expect(config.rule_files?.map((f) => resolve(dirname(prometheusYml), f))).toEqual([join(ROOT, 'deploy/alerts.yaml')]);
    const r = spawnSync('promtool', ['check', 'config', prometheusYml], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('provisions the Prometheus data source every panel uses by default, and the dashboards directory the compose file mounts', () => {
    const grafanaMounts = volumesOf(svc('grafana'));
    const provisioning = grafanaMounts.find((v) => v.source === join(ROOT, 'deploy/grafana/provisioning'));
    const dashboardMount = grafanaMounts.find((v) => v.source === join(ROOT, 'deploy/grafana/stratus.json'));
    const dashboards = { target: dashboardMount === undefined ? undefined : dirname(dashboardMount.target) };
    expect(provisioning?.target).toBe('/etc/grafana/provisioning');
    const sources = readYaml<{ datasources: { uid: string; type: string; url: string }[] }>('deploy/grafana/provisioning/datasources/prometheus.yml').datasources;
    expect(sources.map((d) => [d.type, d.url])).toEqual([['prometheus', `http://prometheus:${portsOf(svc('prometheus'))[0]!.target}`]]);
    const providers = readYaml<{ providers: { type: string; options: { path: string } }[] }>('deploy/grafana/provisioning/dashboards/stratus.yml').providers;
    expect(providers.map((p) => [p.type, p.options.path])).toEqual([['file', dashboards?.target]]);
    expect(env('grafana')['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toBe(`${dashboards?.target}/stratus.json`);
    // Every panel takes the data source from the dashboard's variable (so the dashboard can be
    // imported into a Grafana with another Prometheus), whose default is the provisioned one.
    const uids = new Set(panels.filter((p) => p.type !== 'row').flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]));
    expect([...uids]).toEqual(['${datasource}']);
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect([variable?.type, variable?.query, variable?.current?.value]).toEqual(['datasource', 'prometheus', sources[0]!.uid]);
  });

  it('reads the series selectors of a PromQL expression (what the drift check below relies on)', () => {
    expect(selectorsOf('histogram_quantile(0.99, sum by (le, method) (rate(a_bucket{job="j",le!="1",m=~"x[0-9]"}[1m]))) / on(instance) group_left(role) b{c="5m"} offset 5m and up')).toEqual([
      { name: 'a_bucket', equals: { job: 'j' } },
      { name: 'b', equals: { c: '5m' } },
      { name: 'up', equals: {} },
    ]);
    expect(queries.length).toBeGreaterThanOrEqual(30);
    for (const q of [...queries, ...alertQueries]) expect(selectorsOf(q.expr).length, `${q.panel}: ${q.expr}`).toBeGreaterThan(0);
  });
});

describe('the same topology as `npm run cluster`, against its processes', () => {
  let cluster: Cluster;
  const scraped = new Map<string, Sample[]>();

  beforeAll(async () => {
    cluster = await startCluster();
    // Traffic, so that what only exists once used is there: the WAL's fsync histogram, controller calls, object-store PUTs.
    const { kafka } = kafkaClient(cluster.bootstrapList, 'compose-dashboard');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'dashboard', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    // A group with committed offsets, for the consumer-lag panels and alert.
    const consumer = kafka.consumer({ groupId: 'compose-dashboard' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'dashboard', fromBeginning: true });
    let consumed = 0;
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void consumed++ });
    const consumedBy = Date.now() + 20_000;
    while (consumed < 2) {
      if (Date.now() > consumedBy) throw new Error('the consumer did not get the 2 records within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await consumer.disconnect(); // commits what it consumed; the group stays (Empty) with its offsets
    const deadline = Date.now() + 20_000;
    const uploaded = async () => {
      for (const b of cluster.brokers) if (((await b.metric('stratus_object_store_requests', 'operation="put",outcome="ok"')) ?? 0) > 0) return true;
      return false;
    };
    while (!(await uploaded())) {
      if (Date.now() > deadline) throw new Error('no broker uploaded the records within 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const n of [...cluster.controllers, ...cluster.brokers]) scraped.set(n.name, samplesOf((await n.http('/metrics')).body));
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 90_000);

  it('configures each controller and broker as cluster.ts does, up to the addresses of the compose network', () => {
    expect(cluster.controllers.map((c) => c.name)).toEqual(CONTROLLERS);
    expect(cluster.brokers.map((b) => b.name)).toEqual(BROKERS);
    const nodes = [...cluster.controllers.map((n) => ({ n, kind: 'controller' as const })), ...cluster.brokers.map((n) => ({ n, kind: 'broker' as const }))];
    for (const { n, kind } of nodes) {
      const processEnv = n.spec.env;
      const composeEnv = env(n.name);
      const processOnly: readonly string[] = PROCESS_ONLY[kind];
      expect(Object.keys(composeEnv).sort(), n.name).toEqual([...Object.keys(processEnv).filter((k) => !processOnly.includes(k)), ...CONTAINER_ONLY[kind]].sort());
      for (const key of SAME_VALUE.filter((k) => k in processEnv)) expect(composeEnv[key], `${n.name} ${key}`).toBe(processEnv[key]);
      for (const key of CONTAINER_ONLY[kind].filter((k) => k.endsWith('_HOST') && !k.includes('ADVERTISED'))) expect(composeEnv[key], `${n.name} ${key}`).toBe('0.0.0.0');

      // The object store: the same bucket, prefix and region, at MinIO's address in each network.
      const store = (url: string) => {
        const u = new URL(url);
        const endpoint = u.searchParams.get('endpoint');
        u.searchParams.delete('endpoint');
        return { rest: u.toString(), endpoint };
      };
      expect(store(composeEnv['STRATUS_OBJECT_STORE_URL']!).rest).toBe(store(processEnv['STRATUS_OBJECT_STORE_URL']!).rest);
      expect(store(processEnv['STRATUS_OBJECT_STORE_URL']!).endpoint).toBe(cluster.objectStore.endpoint);
      expect(store(composeEnv['STRATUS_OBJECT_STORE_URL']!).endpoint).toBe(`http://minio:${portsOf(svc('minio'))[0]!.target}`);
      expect(env('minio')['MINIO_ROOT_USER']).toBe(composeEnv['AWS_ACCESS_KEY_ID']);
      expect(env('minio')['MINIO_ROOT_PASSWORD']).toBe(composeEnv['AWS_SECRET_ACCESS_KEY']);
    }
    // Controllers: the ports `npm run cluster` gives them, advertised by service name; Redis by its.
    CONTROLLERS.forEach((c, i) => {
      expect(env(c)['STRATUS_GRPC_PORT']).toBe(String(FIXED_PORTS.controllerGrpc + i));
      expect(env(c)['STRATUS_HTTP_PORT']).toBe(String(FIXED_PORTS.controllerHttp + i));
      expect(env(c)['STRATUS_GRPC_ADVERTISED_HOST']).toBe(c);
      expect(cluster.controllers[i]!.spec.env['STRATUS_METADATA_URL']).toBe(cluster.redis.url);
    });
    // Brokers: every controller's gRPC address in the same order, and the ports of `npm run cluster` (Kafka's on EXTERNAL, the host's listener).
    const clusterEndpoints = cluster.controllers.map((c) => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']}`).join(',');
    const composeEndpoints = CONTROLLERS.map((c) => `${env(c)['STRATUS_GRPC_ADVERTISED_HOST']}:${env(c)['STRATUS_GRPC_PORT']}`).join(',');
    BROKERS.forEach((b, i) => {
      expect(cluster.brokers[i]!.spec.env['STRATUS_CONTROLLER_ENDPOINTS']).toBe(clusterEndpoints);
      expect(env(b)['STRATUS_CONTROLLER_ENDPOINTS']).toBe(composeEndpoints);
      expect(env(b)['STRATUS_HTTP_PORT']).toBe(String(FIXED_PORTS.brokerHttp + i));
      expect(env(b)['STRATUS_KAFKA_LISTENERS']).toContain(`EXTERNAL://:${FIXED_PORTS.broker + i}`);
      expect(cluster.brokers[i]!.spec.env['STRATUS_KAFKA_PORT']).toBe(String(cluster.brokers[i]!.kafkaPort));
    });
  });

  it('every series the Grafana dashboard and the alerts query is one the processes it scrapes export', () => {
    const jobs = scrapeJobs();
    const samplesOfJob = (job: string | undefined): Sample[] => {
      const services = job === undefined ? STRATUS : (jobs.get(job) ?? []);
      return services.flatMap((s) => scraped.get(s) ?? []);
    };
    const missingOf = (checked: readonly { panel: string; expr: string }[]): string[] => {
      const missing: string[] = [];
      for (const q of checked) {
        for (const s of selectorsOf(q.expr)) {
          const job = s.equals['job'];
          if (job !== undefined && !jobs.has(job)) missing.push(`${q.panel}: job="${job}" is no job of deploy/prometheus/prometheus.yml`);
          else if (PROMETHEUS_OWN_SERIES.includes(s.name)) continue;
          else if (!served(s, samplesOfJob(job))) missing.push(`${q.panel}: ${s.name}${JSON.stringify(s.equals)} is exported by no ${job ?? 'stratus'} process`);
        }
      }
      return missing;
    };
    expect(missingOf([...queries, ...alertQueries])).toEqual([]);
    // The check can fail: a panel with a misspelled name, or a label value no process has, is found missing.
    expect(missingOf([...queries, { panel: 'bad', expr: 'sum(rate(stratus_topic_byte_in_total[1m])) / sum(stratus_wal_backlog{what="queued"})' }])).toEqual([
      'bad: stratus_topic_byte_in_total{} is exported by no stratus process',
      'bad: stratus_wal_backlog{"what":"queued"} is exported by no stratus process',
    ]);
    expect(served({ name: 'stratus_no_such_metric', equals: {} }, samplesOfJob(undefined))).toBe(false);
    expect(served({ name: 'stratus_controller_role', equals: { role: 'active' } }, samplesOfJob('stratus-broker'))).toBe(false);
  });
});
