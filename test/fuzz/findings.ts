// Stand-alone reproductions of what the broker fuzzer found, each on a fresh `stratus dev`:
//
//   node test/fuzz/findings.ts metadata-null-name   Metadata v10/v11 naming a topic by id closes the connection
//   node test/fuzz/findings.ts offset-burn          an 83-byte batch claiming 2^31-1 records advances the log by 2^31-1
//   node test/fuzz/findings.ts listoffsets-bomb     ListOffsets by timestamp decompresses every bomb batch, freezing the broker
//   node test/fuzz/findings.ts append-time-mark     a CreateTime batch marked LogAppendTime plants a maxTimestamp past the bounds
//   node test/fuzz/findings.ts slow-reader-stall    a client reading its answers steadily, but slowly, is closed as stalled
//   node test/fuzz/findings.ts receive-while-paused a request sent whole in 300 ms is closed as "not received" while the broker stopped reading
//
// (The last two were found while building the slow senders; both run with the fuzz settings' 2 s timeouts.)
//
// Each prints what it sent and what came back, and exits 1 while the problem is there.
// What the SASL fuzzer found is in sasl-findings.ts.

import {
  ApiKey,
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  buildRecordBatch,
  compress,
  CompressionType,
  crc32c,
  CRC_OFFSET,
  encodeRequest,
  ErrorCode,
  errorName,
  LAST_OFFSET_DELTA_OFFSET,
  readRecords,
  RECORDS_COUNT_OFFSET,
} from '@stratus/protocol';
import net from 'node:net';
import { StratusProcess } from '../support/stratus-process.ts';
import { brokerContext, FUZZ_BROKER_ENV } from './support/context.ts';
import { request, sentinelRequest, WireConnection } from './support/wire.ts';

const HOST = '127.0.0.1';

function withCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

async function produce(port: number, topic: string, records: Buffer) {
  const r = await request(HOST, port, ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

/** Metadata v11 asking for a topic by id (name null) that does not exist. */
async function metadataNullName(port: number): Promise<boolean> {
  const frame = encodeRequest(ApiKey.Metadata, 11, 7, null, {
    topics: [{ topicId: 'XLfTofD36y7y6u12vN6GuQ', name: null }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });
  console.log(`sending Metadata v11: ${frame.toString('hex')}`);
  const conn = await WireConnection.connect(HOST, port);
  await conn.write(Buffer.concat([frame, sentinelRequest(8)]));
  const e = await conn.next(5_000);
  conn.destroy();
  console.log(e.kind === 'frame' ? `answered (correlation id ${e.frame.readInt32BE(0)})` : `no answer: ${e.kind}`);
  return e.kind === 'frame' && e.frame.readInt32BE(0) === 7;
}

/** A one-record batch whose header claims 2^31-1 records (CRC valid). */
async function offsetBurn(port: number): Promise<boolean> {
  const b = buildRecordBatch({ records: [{ value: 'one real record' }], baseTimestamp: Date.UTC(2024, 0, 1) });
  b.writeInt32BE(2 ** 31 - 1, RECORDS_COUNT_OFFSET);
  b.writeInt32BE(2 ** 31 - 2, LAST_OFFSET_DELTA_OFFSET);
  withCrc(b);
  console.log(`batch (${b.length} bytes): ${b.toString('hex')}`);
  for (let i = 0; i < 3; i++) {
    const r = await produce(port, 'offset-burn', b);
    console.log(`produce #${i}: error ${r.errorCode}, baseOffset ${r.baseOffset}`);
  }
  const next = await produce(port, 'offset-burn', buildRecordBatch({ records: [{ value: 'normal' }] }));
  console.log(`a normal one-record batch after them lands at offset ${next.baseOffset}`);
  return next.baseOffset < 10;
}

/** Twenty 98 KB gzip bombs (96 MiB of zeros, CRC valid), then ListOffsets by timestamp while a probe times ApiVersions. */
async function listOffsetsBomb(port: number): Promise<boolean> {
  const bomb = Buffer.concat([buildRecordBatch({ records: [], baseTimestamp: Date.UTC(2024, 0, 1) }), compress(CompressionType.Gzip, Buffer.alloc(96 * 1024 * 1024))]);
  bomb.writeInt32BE(bomb.length - 12, BATCH_LENGTH_OFFSET);
  bomb.writeInt16BE(CompressionType.Gzip, ATTRIBUTES_OFFSET);
  bomb.writeInt32BE(0, LAST_OFFSET_DELTA_OFFSET);
  bomb.writeInt32BE(1, RECORDS_COUNT_OFFSET);
  withCrc(bomb);
  console.log(`bomb batch: ${bomb.length} bytes, header ${bomb.subarray(0, 61).toString('hex')}`);
  for (let i = 0; i < 20; i++) {
    const r = await produce(port, 'bombs', bomb);
    if (r.errorCode !== ErrorCode.NONE) console.log(`produce #${i}: error ${r.errorCode}`);
  }
  let worst = 0;
  let running = true;
  const probe = (async () => {
    while (running) {
      const t0 = performance.now();
      await request(HOST, port, ApiKey.ApiVersions, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' }, 120_000);
      worst = Math.max(worst, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t0 = performance.now();
  const lo = await request(HOST, port, ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'bombs', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 0 }] }] }, 600_000);
  const took = performance.now() - t0;
  running = false;
  await probe;
  console.log(`ListOffsets(timestamp 0) took ${Math.round(took)} ms → ${JSON.stringify(lo.topics[0]!.partitions[0])}; slowest ApiVersions meanwhile ${Math.round(worst)} ms`);
  return worst < 1_000;
}

/**
 * A batch whose records are stamped now but which the producer marks LogAppendTime, with
 * a maxTimestamp 50 years ahead, to a CreateTime topic (after.max.ms 1 h by default).
 * Under that attribute every record reads as maxTimestamp, so consumers would see the
 * planted time; Kafka bounds record.timestamp() (= maxTimestamp here): INVALID_TIMESTAMP.
 * (Broker fuzz seed 1234, case #386: snappy, attributes 0x000a.)
 */
async function appendTimeMark(port: number): Promise<boolean> {
  const now = Date.now();
  const b = buildRecordBatch({ records: [{ value: 'stamped now', timestamp: now }], logAppendTime: now + 50 * 365 * 86_400_000, compression: CompressionType.Snappy });
  console.log(`batch (${b.length} bytes): ${b.toString('hex')}`);
  const r = await produce(port, 'append-time-mark', b);
  console.log(`produce: ${errorName(r.errorCode)}, baseOffset ${r.baseOffset}`);
  if (r.errorCode === ErrorCode.NONE) {
    const fetched = await request(HOST, port, ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'append-time-mark', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: r.baseOffset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const records = fetched.responses[0]?.partitions[0]?.records;
    const decoded = records ? readRecords(records, 1 << 20) : undefined;
    if (decoded?.ok) for (const rec of decoded.records) console.log(`a consumer reads offset ${rec.offset} with timestamp ${rec.timestamp} (${new Date(rec.timestamp).toISOString()})`);
  }
  return r.errorCode === ErrorCode.INVALID_TIMESTAMP;
}

/** The broker's connection-close counters from /metrics, by reason. */
async function closesByReason(httpPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^stratus_kafka_connections_closed\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

function fetchBulk(correlationId: number): Buffer {
  return encodeRequest(ApiKey.Fetch, 11, correlationId, 'slow-reader', {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'fuzz-bulk', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 16 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/**
 * A client that takes 32 KiB of its answers every 250 ms (128 KiB/s, never pausing) while
 * `then` runs; returns how many bytes it read, and the close counters' change.
 */
async function slowReader(broker: StratusProcess, first: Buffer, then: (s: net.Socket) => Promise<void>): Promise<{ read: number; closes: Record<string, number> }> {
  await brokerContext(HOST, broker.kafkaPort); // creates fuzz-bulk with 4 MiB
  for (let i = 0; i < 3; i++) {
    await produce(broker.kafkaPort, 'fuzz-bulk', buildRecordBatch({ records: [{ value: Buffer.alloc(1_000_000, 3) }] }));
  }
  const before = await closesByReason(broker.httpPort);
  const s = net.connect({ host: HOST, port: broker.kafkaPort, noDelay: true });
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  s.pause();
  let read = 0;
  const reader = setInterval(() => {
    for (let n = 0; n < 32_768; ) {
      const want = Math.min(16_384, s.readableLength);
      // read(0) asks the socket for more without taking any.
      const c = want === 0 ? (s.read(0) as null) : (s.read(want) as Buffer | null);
      if (c === null) break;
      n += c.length;
      read += c.length;
    }
  }, 250);
  s.write(first);
  await then(s);
  await new Promise((r) => setTimeout(r, 5_000));
  clearInterval(reader);
  s.destroy();
  const after = await closesByReason(broker.httpPort);
  return { read, closes: Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]).filter(([, n]) => n !== 0)) };
}

/**
 * One Fetch whose answer is 7 MiB, read at 128 KiB/s: progress all along, yet the broker
 * counted it as a client that "read none of its answers" once the stall timeout passed.
 * Why (measured): the kernel's send buffer (autotuned to 4 MiB) wakes the writer only
 * once a third of it has drained, so libuv's queue stood still for 9.8 s while the client
 * read, and SendStall saw no progress; the kernel's unacknowledged bytes (/proc/net/tcp)
 * fell every 0.6 s, and are now what it watches. Once that was fixed, the idle timeout
 * (3 s here) closed the reader instead: answers still being read now keep it busy.
 */
async function slowReaderStall(_port: number, broker: StratusProcess): Promise<boolean> {
  const { read, closes } = await slowReader(broker, fetchBulk(1), async () => undefined);
  console.log(`the client read ${read} bytes at a steady 128 KiB/s; connections the broker closed meanwhile: ${JSON.stringify(closes)}`);
  return (closes['response_stall'] ?? 0) === 0;
}

/**
 * A Fetch (7 MiB answer) and the first half of a 200 KB Produce, then the second half
 * 300 ms later, reading the answers at 128 KiB/s. The answer puts the socket over its
 * write high-water mark, so the broker stops reading — with the Produce's size already
 * read, its receive timer running — and closes the connection for a request "not
 * received" that the client sent whole long before.
 */
async function receiveWhilePaused(_port: number, broker: StratusProcess): Promise<boolean> {
  const produceFrame = encodeRequest(ApiKey.Produce, 9, 99, 'slow-reader', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: 'fuzz-batches', partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ value: Buffer.alloc(200_000, 1) }] }) }] }],
  });
  const { read, closes } = await slowReader(broker, Buffer.concat([fetchBulk(1), produceFrame.subarray(0, 100_000)]), async (s) => {
    await new Promise((r) => setTimeout(r, 300));
    s.write(produceFrame.subarray(100_000));
  });
  console.log(`the Produce request went out whole within 300 ms; the client read ${read} bytes at 128 KiB/s; connections the broker closed meanwhile: ${JSON.stringify(closes)}`);
  return (closes['receive_timeout'] ?? 0) === 0;
}

const FINDINGS: Record<string, (port: number, broker: StratusProcess) => Promise<boolean>> = {
  'metadata-null-name': metadataNullName,
  'offset-burn': offsetBurn,
  'listoffsets-bomb': listOffsetsBomb,
  'append-time-mark': appendTimeMark,
  'slow-reader-stall': slowReaderStall,
  'receive-while-paused': receiveWhilePaused,
};

/** Settings a reproduction needs on top of the fuzz ones. */
const EXTRA_ENV: Record<string, Record<string, string>> = {
  // Long enough that the stall misjudgement (slow-reader-stall) cannot close the connection first.
  'receive-while-paused': { STRATUS_KAFKA_RESPONSE_STALL_TIMEOUT: '60s' },
};

const name = process.argv[2] ?? '';
const run = FINDINGS[name];
if (run === undefined) {
  console.error(`usage: node test/fuzz/findings.ts ${Object.keys(FINDINGS).join(' | ')}`);
  process.exit(2);
}
const broker = await StratusProcess.start({ env: { ...FUZZ_BROKER_ENV, ...EXTRA_ENV[name] } });
try {
  const fine = await run(broker.kafkaPort, broker);
  console.log(fine ? 'OK: not reproduced' : 'REPRODUCED');
  process.exitCode = fine ? 0 : 1;
} finally {
  await broker.stop();
  broker.removeData();
}
