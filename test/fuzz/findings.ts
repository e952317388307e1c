// Stand-alone reproductions of what the broker fuzzer found, each on a fresh `stratus dev`:
//
//   node test/fuzz/findings.ts metadata-null-name   Metadata v10/v11 naming a topic by id closes the connection
//   node test/fuzz/findings.ts offset-burn          an 83-byte batch claiming 2^31-1 records advances the log by 2^31-1
//   node test/fuzz/findings.ts listoffsets-bomb     ListOffsets by timestamp decompresses every bomb batch, freezing the broker
//
// Each prints what it sent and what came back, and exits 1 while the problem is there.

import { ApiKey, ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, buildRecordBatch, compress, CompressionType, crc32c, CRC_OFFSET, encodeRequest, ErrorCode, LAST_OFFSET_DELTA_OFFSET, RECORDS_COUNT_OFFSET } from '@stratus/protocol';
import { StratusProcess } from '../support/stratus-process.ts';
import { FUZZ_BROKER_ENV } from './support/context.ts';
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

const FINDINGS: Record<string, (port: number) => Promise<boolean>> = {
  'metadata-null-name': metadataNullName,
  'offset-burn': offsetBurn,
  'listoffsets-bomb': listOffsetsBomb,
};

const name = process.argv[2] ?? '';
const run = FINDINGS[name];
if (run === undefined) {
  console.error(`usage: node test/fuzz/findings.ts ${Object.keys(FINDINGS).join(' | ')}`);
  process.exit(2);
}
const broker = await StratusProcess.start({ env: FUZZ_BROKER_ENV });
try {
  const fine = await run(broker.kafkaPort);
  console.log(fine ? 'OK: not reproduced' : 'REPRODUCED');
  process.exitCode = fine ? 0 : 1;
} finally {
  await broker.stop();
  broker.removeData();
}
