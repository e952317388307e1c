// kcat (librdkafka) against the capture broker: for each compression codec, kcat must
// produce lines read from stdin and exit 0, having accepted our ApiVersions v3
// (flexible request, response header v0), Metadata and Produce responses; the batches
// it wrote must validate (CRC-32C, framing) and decode to exactly the lines sent, with
// the requested compression in the attributes. librdkafka writes raw (unframed)
// snappy, which the decompressor must take as well as xerial framing. A last run
// enables idempotence to capture InitProducerId and an idempotent batch.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey } from '@stratus/protocol';
import { CompressionType } from '../../src/compression/index.ts';
import { CaptureBroker, PRODUCER_ID } from './capture-broker.ts';
import { producedTo } from './produced.ts';
import type { ProducedRecord } from './produced.ts';

const KCAT = '/usr/bin/kcat';
const CLIENT_ID = 'kcat-crosscheck';
const RUN_TIMEOUT_MS = 25_000;

const hasKcat = spawnSync(KCAT, ['-V'], { stdio: 'ignore' }).status === 0;

interface KcatRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs kcat with `input` on stdin; kills it after RUN_TIMEOUT_MS. Never rejects. */
function runKcat(args: string[], input: string): Promise<KcatRun> {
  return new Promise((resolve) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${RUN_TIMEOUT_MS} ms\n`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (e) => (stderr += `\n[test] spawn error: ${e.message}\n`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stderr });
    });
    child.stdin.on('error', () => undefined); // kcat may exit before reading all input
    child.stdin.end(input);
  });
}

const LINES = ['first line', 'second: has a colon', 'ünïcødé ☃', 'stratus '.repeat(1500).trim(), 'last'];
const KEYED_LINES = ['k1:v1', 'k2:value:with:colons', 'ключ:значение', `big:${'x'.repeat(5000)}`];
const HEADERS: Array<readonly [string, string]> = [
  ['source', 'kcat'],
  ['run', '42'],
];

function expectedRecords(lines: string[], keyed: boolean, headers: ReadonlyArray<readonly [string, string]>): ProducedRecord[] {
  return lines.map((line) => {
    const at = keyed ? line.indexOf(':') : -1;
    return {
      key: at < 0 ? null : line.slice(0, at),
      value: at < 0 ? line : line.slice(at + 1),
      headers: headers.map(([k, v]) => [k, v] as const),
    };
  });
}

/** API keys in the order they first appear. */
function firstAppearance(keys: number[]): number[] {
  return [...new Set(keys)];
}

describe('kcat (librdkafka 2.0.2) producer against the capture broker', () => {
  it('has kcat installed (npm test provisions it through test/peers/provision.sh)', () => {
    expect(hasKcat, `${KCAT} is missing: run bash test/peers/provision.sh`).toBe(true);
  });

  let broker: CaptureBroker;

  beforeEach(async () => {
    broker = await CaptureBroker.start();
  });

  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    children.clear();
    await broker.close();
  });

  /**
   * kcat arguments. librdkafka sends a batch when linger.ms passes or batch.num.messages
   * are queued, and leaves a batch uncompressed when compression would not shrink it;
   * a batch exactly `lines` long with a long linger makes it one compressible batch,
   * sent as soon as the last line is read (rd_kafka_flush does not cut linger short).
   */
  function kcatArgs(topic: string, lines: number, extra: string[]): string[] {
    return [
      '-b', broker.bootstrap, '-P', '-t', topic,
      '-X', `client.id=${CLIENT_ID}`,
      '-X', 'debug=protocol,msg',
      '-X', 'message.timeout.ms=15000',
      '-X', 'linger.ms=10000',
      '-X', `batch.num.messages=${lines}`,
      ...extra,
    ];
  }

  /** Checks common to every run; `stderr` (librdkafka's protocol debug) explains failures. */
  function expectCleanRun(run: KcatRun): void {
    const why = `kcat stderr:\n${run.stderr}\ncapture broker errors: ${JSON.stringify(broker.errors, null, 2)}`;
    expect(broker.errors, why).toEqual([]);
    expect(run.code, why).toBe(0);
    expect(run.stderr, why).not.toMatch(/Delivery failed|% ERROR|Failed to parse|ApiVersionRequest failed/i);

    // Every connection opens with ApiVersions v3: flexible, so request header v2 (its
    // ClientId keeps an int16 length, then an empty tagged-field section).
    const byConnection = new Map<number, number[]>();
    for (const r of broker.requests) byConnection.set(r.connection, [...(byConnection.get(r.connection) ?? []), r.header.apiKey]);
    for (const [, keys] of byConnection) expect(keys[0], why).toBe(ApiKey.ApiVersions);
    const apiVersions = broker.requestsOf(ApiKey.ApiVersions);
    expect(apiVersions.length).toBeGreaterThan(0);
    for (const r of apiVersions) {
      expect(r.header.apiVersion, why).toBe(3); // a v0 retry would mean librdkafka rejected our v3 response
      expect(r.header.clientId).toBe(CLIENT_ID);
      expect(r.bodyOffset).toBe(8 + 2 + Buffer.byteLength(CLIENT_ID) + 1);
      expect(r.raw[r.bodyOffset - 1]).toBe(0);
      expect(r.body.clientSoftwareName).toBe('librdkafka');
      expect(r.body.clientSoftwareVersion).toMatch(/^2\./);
    }
  }

  const codecs = [
    { name: 'none', code: CompressionType.None, keyed: true, headers: HEADERS },
    { name: 'gzip', code: CompressionType.Gzip, keyed: false, headers: [] },
    { name: 'snappy', code: CompressionType.Snappy, keyed: true, headers: [] },
    { name: 'lz4', code: CompressionType.Lz4, keyed: false, headers: HEADERS },
    { name: 'zstd', code: CompressionType.Zstd, keyed: false, headers: [] },
  ] as const;

  for (const c of codecs) {
    it(`produces with -z ${c.name}${c.keyed ? ', -K:' : ''}${c.headers.length > 0 ? ', -H' : ''}`, async () => {
      const topic = `kcat-${c.name}`;
      const lines = c.keyed ? KEYED_LINES : LINES;
      const extra = ['-z', c.name];
      if (c.keyed) extra.push('-K', ':');
      for (const [k, v] of c.headers) extra.push('-H', `${k}=${v}`);
      const run = await runKcat(kcatArgs(topic, lines.length, extra), `${lines.join('\n')}\n`);
      expectCleanRun(run);
      const why = `kcat stderr:\n${run.stderr}`;

      expect(firstAppearance(broker.requests.map((r) => r.header.apiKey)), why).toEqual([ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce]);
      const produced = producedTo(broker, topic);
      expect(produced.problems, why).toEqual([]);
      expect(produced.batches, why).toHaveLength(1);
      for (const b of produced.batches) {
        expect(b.produceVersion).toBeGreaterThanOrEqual(3);
        expect(b.info.compression, why).toBe(c.code);
        expect(b.attributes & 0x07).toBe(c.code);
        expect(b.acks).toBe(-1);
      }
      expect(produced.records, why).toEqual(expectedRecords(lines, c.keyed, c.headers));
    });
  }

  it('idempotent producer: InitProducerId, then a batch with producerId 1000, epoch 0, baseSequence 0', async () => {
    const topic = 'kcat-idempotent';
    const run = await runKcat(kcatArgs(topic, LINES.length, ['-X', 'enable.idempotence=true', '-z', 'lz4']), `${LINES.join('\n')}\n`);
    expectCleanRun(run);
    const why = `kcat stderr:\n${run.stderr}`;

    expect(firstAppearance(broker.requests.map((r) => r.header.apiKey)), why).toEqual([
      ApiKey.ApiVersions,
      ApiKey.Metadata,
      ApiKey.InitProducerId,
      ApiKey.Produce,
    ]);
    const init = broker.requestsOf(ApiKey.InitProducerId);
    expect(init).toHaveLength(1);
    expect(init[0]?.body.transactionalId).toBeNull();

    const produced = producedTo(broker, topic);
    expect(produced.problems, why).toEqual([]);
    expect(produced.batches, why).toHaveLength(1);
    expect(produced.batches[0]?.info).toMatchObject({
      producerId: PRODUCER_ID,
      producerEpoch: 0,
      baseSequence: 0,
      recordCount: LINES.length,
      compression: CompressionType.Lz4,
      isTransactional: false,
    });
    expect(produced.records, why).toEqual(expectedRecords(LINES, false, []));
  });
});
