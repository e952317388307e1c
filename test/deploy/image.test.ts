// deploy/Dockerfile without a Docker engine (none runs here): hadolint lints it; every
// file it copies must exist and be let into the build context by .dockerignore; and the
// production file set it builds — the same COPY lines, the same `npm ci --omit=dev` — is
// laid out in a temporary directory and started through the image's own ENTRYPOINT line
// (Debian's tini, node with the image's flags) as the image's uid, with the image's ENV:
// `stratus --help`, then `stratus dev` until /readyz answers, the HEALTHCHECK command,
// and SIGTERM to a clean exit 0. Nothing the image leaves out may be needed at run time,
// and no dev tool may be in it.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';
import { execForm, only, parseCopy, parseDockerfile, splitOptions, stageKeyValues } from './dockerfile.ts';
import type { Stage } from './dockerfile.ts';
import { parseDockerignore } from './dockerignore.ts';
import { contextFiles, layOutStages } from './image-files.ts';
import type { LaidOutStage } from './image-files.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKERFILE = 'deploy/Dockerfile';
const stages = parseDockerfile(readFileSync(join(ROOT, DOCKERFILE), 'utf8'));
const image = stages.at(-1)!;
const rules = parseDockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  workspaces: string[];
  devDependencies: Record<string, string>;
};

/** Root devDependencies a production package itself depends on, with the reason they may stay. */
const DEV_DEPENDENCIES_ALSO_IN_PRODUCTION: Readonly<Record<string, string>> = {
  '@types/node': 'protobufjs (under @grpc/grpc-js) lists it in its dependencies; type declarations, never loaded',
};

const NPM_CI_TIMEOUT_MS = 240_000;
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;

function bash(script: string): string {
  const result = spawnSync('bash', [join(ROOT, script)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

/** The workspace directories (package.json "workspaces": libs/*, services/*). */
function workspaces(): string[] {
  return rootPackage.workspaces.flatMap((glob) => {
    if (!glob.endsWith('/*')) throw new Error(`workspace glob ${glob}: only dir/* is understood here`);
    const parent = glob.slice(0, -2);
    return readdirSync(join(ROOT, parent))
      .filter((name) => existsSync(join(ROOT, parent, name, 'package.json')))
      .map((name) => `${parent}/${name}`);
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out.sort();
}

describe('deploy/Dockerfile', () => {
  it('has no hadolint findings', { timeout: 180_000 }, () => {
    const hadolint = bash('test/peers/hadolint.sh');
    const result = spawnSync(hadolint, ['--no-color', DOCKERFILE], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is linted for real: hadolint flags an unpinned base image and unpinned, uncleaned apt installs', { timeout: 180_000 }, () => {
    const hadolint = bash('test/peers/hadolint.sh');
    const result = spawnSync(hadolint, ['--no-color', '-'], { cwd: ROOT, encoding: 'utf8', input: 'FROM debian\nRUN apt-get update && apt-get install -y tini\n' });
    expect(result.status).toBe(1);
    for (const rule of ['DL3006', 'DL3008', 'DL3009', 'DL3015']) expect(result.stdout).toContain(rule);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const problems: string[] = [];
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        const copy = parseCopy(instruction);
        if (copy.from !== undefined) continue; // from another stage: laid out and run below
        for (const source of copy.sources) {
          if (!existsSync(join(ROOT, source))) problems.push(`line ${copy.line}: ${source} does not exist`);
          else if (contextFiles(ROOT, rules, source).length === 0) problems.push(`line ${copy.line}: .dockerignore leaves out ${source}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("installs from every workspace's manifest and copies every workspace's package.json and src/", () => {
    const deps = stages.find((s) => s.name === 'deps');
    expect(deps, 'a build stage named deps').toBeDefined();
    const manifests = (deps as Stage).instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => parseCopy(i).sources);
    const imageFiles = image.instructions
      .filter((i) => i.keyword === 'COPY' && parseCopy(i).from === undefined)
      .flatMap((i) => parseCopy(i).sources.flatMap((source) => contextFiles(ROOT, rules, source)));
    expect(manifests).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    for (const workspace of workspaces()) {
      expect(manifests, `${workspace}/package.json in the deps stage`).toContain(`${workspace}/package.json`);
      expect(imageFiles, `${workspace}/package.json in the image`).toContain(`${workspace}/package.json`);
      expect(imageFiles.some((f) => f.startsWith(`${workspace}/src/`)), `${workspace}/src in the image`).toBe(true);
    }
  });

  it('starts node with the V8 flags every stratus launcher uses, under tini, as a fixed non-root uid', () => {
    const entrypoint = execForm(only(image, 'ENTRYPOINT').args, 'ENTRYPOINT');
    expect(entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const node = entrypoint.indexOf('node');
    expect(entrypoint.slice(node + 1, -1)).toEqual(STRATUS_NODE_FLAGS);
    expect(entrypoint.at(-1)).toMatch(/\/services\/cli\/src\/main\.ts$/);
    expect(only(image, 'USER').args).toBe('10001:10001');
    const env = stageKeyValues(image, 'ENV');
    expect(execForm(only(image, 'VOLUME').args, 'VOLUME')).toEqual([env['STRATUS_DATA_DIR']]);
  });

  it('carries the OCI labels, its version being the package version', () => {
    const labels = stageKeyValues(image, 'LABEL');
    const args = stageKeyValues(image, 'ARG');
    expect(labels['org.opencontainers.image.version']).toBe('${VERSION}');
    expect(args['VERSION']).toBe(rootPackage.version);
    expect(labels['org.opencontainers.image.licenses']).toBe(rootPackage.license);
    for (const key of ['title', 'description', 'revision', 'base.name']) expect(labels[`org.opencontainers.image.${key}`]).toBeTruthy();
    expect(labels['org.opencontainers.image.base.name']).toContain(image.base);
  });
});

describe('the production file set the image holds', () => {
  let work: string;
  let laidOut: LaidOutStage[];
  let imageRoot: string;
  let workdir: string;
  let tini: string;
  const asRoot = process.getuid?.() === 0;
  const [uid, gid] = only(image, 'USER').args.split(':').map(Number) as [number, number];
  const imageEnv = stageKeyValues(image, 'ENV');

  beforeAll(() => {
    tini = bash('test/peers/tini.sh');
    work = mkdtempSync(join(tmpdir(), 'stratus-image-'));
    chmodSync(work, 0o755); // the image's uid must reach the files, as in the image
    laidOut = layOutStages(stages, {
      contextRoot: ROOT,
      rules,
      into: work,
      // npm's own cache (filled by the project's `npm install`), preferred over the registry.
      runEnv: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
    });
    imageRoot = laidOut.at(-1)!.root;
    workdir = laidOut.at(-1)!.workdir;
  }, NPM_CI_TIMEOUT_MS);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** An image command line on this machine: `node` is this Node 24, image paths under WORKDIR are the laid-out files, others (tini) the host's own. */
  function hostArgv(argv: readonly string[]): string[] {
    return argv.map((arg) => {
      if (arg === 'node') return process.execPath;
      if (arg.startsWith(`${workdir}/`)) return join(imageRoot, arg);
      if (arg.startsWith('/')) {
        expect(existsSync(arg), `${arg} on this machine`).toBe(true);
        return arg === '/usr/bin/tini' ? tini : arg;
      }
      return arg;
    });
  }

  /** The image's environment: its ENV lines, PATH, and the home directory the image's user has (none). */
  function env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/nonexistent', ...imageEnv, ...extra };
  }

  /** Starts an image command line. tini is not PID 1 here: as a subreaper it does PID 1's work (and says nothing). */
  function start(argv: readonly string[], extraEnv: Record<string, string>) {
    const [command, ...args] = hostArgv(argv);
    const child = spawn(command!, args, {
      cwd: join(imageRoot, workdir),
      env: env({ TINI_SUBREAPER: '1', ...extraEnv }),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid, gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, output: () => output };
  }

  const entrypoint = () => execForm(only(image, 'ENTRYPOINT').args, 'ENTRYPOINT');
  const healthcheck = () => {
    const rest = splitOptions(only(image, 'HEALTHCHECK').args).rest;
    expect(rest.startsWith('CMD ')).toBe(true);
    return execForm(rest.slice(4), 'HEALTHCHECK');
  };

  it('holds no dev tool and no test code', () => {
    const app = join(imageRoot, workdir);
    for (const name of Object.keys(rootPackage.devDependencies)) {
      if (name in DEV_DEPENDENCIES_ALSO_IN_PRODUCTION) continue;
      expect(existsSync(join(app, 'node_modules', name)), `devDependency ${name} in the image`).toBe(false);
    }
    const sources = filesUnder(app).filter((f) => !f.startsWith('node_modules/'));
    const outside = sources.filter((f) => !/^(libs|services)\/[^/]+\/(package\.json|src\/.+)$/.test(f) && !/^(package\.json|config\/[^/]+\.yaml|deploy\/healthcheck\.mjs)$/.test(f));
    expect(outside).toEqual([]);
    expect(sources.filter((f) => /\/src\/testing\/|\.test\.ts$/.test(f))).toEqual([]);
    // Each package the services import is there (the runs below load them).
    for (const name of ['@aws-sdk/client-s3', '@google-cloud/storage', '@grpc/grpc-js', 'ioredis', 'pino-pretty', 'snappy', 'lz4-napi', '@node-rs/crc32']) {
      expect(existsSync(join(app, 'node_modules', name)), name).toBe(true);
    }
  });

  it("starts under the tini the image installs (Debian's package, the version the Dockerfile pins)", () => {
    const pin = /'?tini=([^'\s]+)'?/.exec(image.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n'));
    expect(pin, 'a pinned tini in the final stage').not.toBeNull();
    const installed = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'tini'], { encoding: 'utf8' }).stdout;
    const pattern = new RegExp(`^${pin![1]!.replace(/[.+]/g, '\\$&').replace(/\*/g, '.*')}$`);
    expect(installed).toMatch(pattern);
  });

  it('runs `stratus --help` through the ENTRYPOINT, as the image user', async () => {
    const run = start([...entrypoint(), '--help'], {});
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/^usage: stratus <dev\|broker\|controller>/);
  });

  it(
    'runs `stratus dev` until ready, healthy by the HEALTHCHECK command, then SIGTERM → exit 0, writing only its data directory',
    { timeout: READY_TIMEOUT_MS + 2 * EXIT_TIMEOUT_MS },
    async () => {
      const appBefore = filesUnder(join(imageRoot, workdir));
      const dataDir = join(work, 'data');
      mkdirSync(dataDir);
      if (asRoot) chownSync(dataDir, uid, gid);
      const kafkaPort = await freePort();
      const httpPort = await freePort();
      // Flags beat the image's ENV: temporary ports and data directory, and loopback
      // (the image listens on 0.0.0.0). Pretty logs load pino-pretty in a worker thread.
      const run = start([...entrypoint(), 'dev', '--data-dir', dataDir, '--kafka-port', String(kafkaPort), '--http-port', String(httpPort)], {
        STRATUS_KAFKA_HOST: '127.0.0.1',
        STRATUS_HTTP_HOST: '127.0.0.1',
        STRATUS_LOG_PRETTY: 'true',
      });
      try {
        let gone = false;
        void run.exited.then(() => (gone = true));
        const deadline = Date.now() + READY_TIMEOUT_MS;
        let ready = false;
        while (!ready && !gone && Date.now() < deadline) {
          ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status === 200, () => false);
          if (!ready) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready, `stratus dev ready:\n${run.output()}`).toBe(true);

        const healthy = spawnSync(hostArgv(healthcheck())[0]!, hostArgv(healthcheck()).slice(1), {
          env: env({ STRATUS_HTTP_PORT: String(httpPort) }),
          encoding: 'utf8',
          ...(asRoot ? { uid, gid } : {}),
        });
        expect(healthy.status, healthy.stderr).toBe(0);

        run.child.kill('SIGTERM'); // to tini, which passes it on
        const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS))]);
        expect(code, run.output()).toBe(0);
        expect(run.output()).toMatch(/INFO.*stratus dev is ready/);
        expect(run.output()).not.toMatch(/"msg":/);
        expect(run.output()).not.toMatch(/Tini is not running as PID 1/);

        const unhealthy = spawnSync(hostArgv(healthcheck())[0]!, hostArgv(healthcheck()).slice(1), { env: env({ STRATUS_HTTP_PORT: String(httpPort) }), encoding: 'utf8' });
        expect(unhealthy.status).toBe(1);
        expect(unhealthy.stderr).toContain(`http://127.0.0.1:${httpPort}/livez`);

        expect(filesUnder(join(imageRoot, workdir))).toEqual(appBefore);
        expect(readdirSync(dataDir).sort()).toEqual(expect.arrayContaining(['metadata', 'objects', 'wal']));
        expect(statSync(join(dataDir, 'wal')).uid).toBe(asRoot ? uid : process.getuid?.());
      } finally {
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
      }
    },
  );
});
