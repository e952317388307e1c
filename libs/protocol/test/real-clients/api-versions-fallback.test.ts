// The ApiVersions version fallback. Kafka's rule: an ApiVersions request in a version the
// broker does not serve is answered in v0 (response header v0, no throttle time) with
// UNSUPPORTED_VERSION and the broker's apiKeys, so the client can retry in a version
// both sides know. Checked with hand-made requests on a raw socket, then with the
// real clients' own fallback paths against a broker capped below their first choice.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { ApiKey, ErrorCode, decodeResponse, encodeRequest } from '@stratus/protocol';
import { CaptureBroker } from './capture-broker.ts';
import { producedTo } from './produced.ts';

const { Kafka, logLevel } = kafkajs;

function compactString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length + 1]), bytes]);
}

/**
 * An ApiVersions request in `version`, encoded by hand as a future client would send it:
 * request header v2 (int16-length ClientId, empty tagged fields) and a v3-style body.
 */
function apiVersionsRequest(version: number, correlationId: number, clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(10);
  header.writeInt16BE(ApiKey.ApiVersions, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  const body = Buffer.concat([compactString('future-client'), compactString('99.0'), Buffer.from([0])]);
  const frame = Buffer.concat([header, id, Buffer.from([0]), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

/** Resolves with the next response frame (without its size prefix). */
function readFrame(socket: Socket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    const done = (err: Error | null, frame?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err !== null) reject(err);
      else resolve(frame ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 4) return;
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) return;
      if (pending.length > 4 + size) {
        done(new Error(`${pending.length - 4 - size} unexpected bytes after the response`));
        return;
      }
      done(null, pending.subarray(4));
    };
    const onClose = (): void => done(new Error('the broker closed the connection'));
    const timer = setTimeout(() => done(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

describe('ApiVersions: unsupported version answered in v0 with UNSUPPORTED_VERSION', () => {
  let broker: CaptureBroker | undefined;
  let socket: Socket | undefined;

  afterEach(async () => {
    socket?.destroy();
    socket = undefined;
    await broker?.close();
    broker = undefined;
  });

  async function open(b: CaptureBroker): Promise<Socket> {
    const s = connect(b.port, b.host);
    socket = s;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return s;
  }

  for (const version of [99, 4]) {
    it(`a hand-encoded ApiVersions v${version} request gets a v0 error response with the apiKeys`, async () => {
      broker = await CaptureBroker.start();
      const s = await open(broker);
      const response = readFrame(s);
      s.write(apiVersionsRequest(version, 7, 'fallback-probe'));
      const frame = await response;

      const decoded = decodeResponse(ApiKey.ApiVersions, 0, frame);
      if (!decoded.ok) throw decoded.error; // v0 exactly: no trailing bytes allowed
      expect(decoded.value.correlationId).toBe(7);
      expect(decoded.value.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      const apiKeys = decoded.value.body.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }));
      expect(apiKeys.length).toBeGreaterThan(0);
      expect(apiKeys).toContainEqual({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 });
      expect(apiKeys).toContainEqual({ apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 9 });
      // Response header v0 and body v0: correlationId, errorCode, int32 count, 6 bytes a key.
      expect(frame.length).toBe(4 + 2 + 4 + 6 * apiKeys.length);

      expect(broker.errors).toEqual([]);
      expect(broker.requests.map((r) => [r.header.apiKey, r.header.apiVersion, r.header.correlationId, r.header.clientId])).toEqual([
        [ApiKey.ApiVersions, version, 7, 'fallback-probe'],
      ]);

      // The connection stays open: the client's retry in v3 is served normally.
      const retry = readFrame(s);
      s.write(encodeRequest(ApiKey.ApiVersions, 3, 8, 'fallback-probe', { clientSoftwareName: 'probe', clientSoftwareVersion: '1' }));
      const ok = decodeResponse(ApiKey.ApiVersions, 3, await retry);
      if (!ok.ok) throw ok.error;
      expect(ok.value.correlationId).toBe(8);
      expect(ok.value.body.errorCode).toBe(ErrorCode.NONE);
      expect(ok.value.body.apiKeys.map((k) => k.apiKey)).toEqual(apiKeys.map((k) => k.apiKey));
    });
  }

  it('kafkajs falls back from ApiVersions v2 to v1 on our v0 error response, then produces', async () => {
    const b = await CaptureBroker.start({ apiVersionsMax: 1 });
    broker = b;
    const kafka = new Kafka({ clientId: 'kafkajs-fallback', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
      await producer.send({ topic: 'fallback', messages: [{ key: 'k', value: 'v' }] });
    } finally {
      await producer.disconnect();
    }
    expect(b.errors).toEqual([]);
    const first = b.requests.filter((r) => r.connection === 0).map((r) => [r.header.apiKey, r.header.apiVersion, r.body === undefined]);
    expect(first.slice(0, 2)).toEqual([
      [ApiKey.ApiVersions, 2, true], // refused: answered in v0 with UNSUPPORTED_VERSION
      [ApiKey.ApiVersions, 1, false],
    ]);
    expect(producedTo(b, 'fallback').records).toEqual([{ key: 'k', value: 'v', headers: [] }]);
  });

  // librdkafka 2.0.2 reads the error response with its v3 (flexible) parser, which fails
  // on the v0 int32 array count ("ApiArrayCnt -1 out of range" in its debug log); it
  // expects exactly that (rd_kafka_handle_ApiVersion: "the broker ... will respond with a
  // version 0 response, which will most likely fail parsing"), keeps the
  // UNSUPPORTED_VERSION error and retries in v0, as it does against Apache Kafka.
  it('librdkafka (kcat) falls back from ApiVersions v3 to v0 on our v0 error response, then produces', async () => {
    const b = await CaptureBroker.start({ apiVersionsMax: 2 });
    broker = b;
    const child = spawn('/usr/bin/kcat', ['-b', b.bootstrap, '-P', '-t', 'fallback', '-X', 'debug=protocol', '-X', 'message.timeout.ms=15000'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    child.stdin.on('error', () => undefined);
    child.stdin.end('one line\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);

    const why = `kcat stderr:\n${stderr}`;
    expect(b.errors, why).toEqual([]);
    expect(code, why).toBe(0);
    const first = b.requests.filter((r) => r.connection === 0).map((r) => [r.header.apiKey, r.header.apiVersion, r.body === undefined]);
    expect(first.slice(0, 2), why).toEqual([
      [ApiKey.ApiVersions, 3, true], // refused: answered in v0 with UNSUPPORTED_VERSION
      [ApiKey.ApiVersions, 0, false],
    ]);
    expect(stderr, why).toMatch(/ApiVersionRequest v3 failed due to UNSUPPORTED_VERSION/);
    expect(producedTo(b, 'fallback').records, why).toEqual([{ key: null, value: 'one line', headers: [] }]);
  });
});
