// WAL damage against a real `stratus dev` (issue 9 §4): a record in the middle of the WAL
// is damaged while intact, acknowledged records follow it — what a bad sector does, not
// what a crash does. Start-up must refuse, say where, and change nothing; with
// --recover=truncate it starts, keeps every record before the damage, and never hands
// out the set-aside records' offsets again: new records continue after them, and real
// clients (kcat/librdkafka, kafkajs, the Java consumer) read across the covered offsets.
//
// Stratus only (it reaches into the data directory); skipped in the other modes.

import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StratusProcess } from '../support/stratus-process.ts';
import { kafkaClient } from './support/kafkajs.ts';
import { targetMode } from './support/mode.ts';
import { java } from './support/peers.ts';
import { describeFailure, jsonLines, run } from './support/process.ts';

const stratusMode = targetMode().kind === 'stratus';
const TOPIC = 'damaged';
const RECORDS = 120;
/** Nothing uploads (the WAL is the only copy) and a flush is small, so what follows the damage is more than one torn write. */
const ENV = { STRATUS_UPLOAD_MAX_DELAY: '10m', STRATUS_WAL_FLUSH_MAX_BYTES: '4096' };

const brokers: StratusProcess[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) {
    await b.kill();
    await rm(b.dataDir, { recursive: true, force: true });
  }
});

/** WAL frames: payload length u32, CRC u32, seq u64, payload; after a 28-byte segment header. */
async function damageRecord(walDir: string, seq: number): Promise<{ file: string; position: number }> {
  for (const name of (await readdir(walDir)).filter((n) => n.endsWith('.wal')).sort()) {
    const file = path.join(walDir, name);
    const bytes = await readFile(file);
    for (let pos = 28; pos + 16 <= bytes.length; pos += 16 + bytes.readUInt32BE(pos)) {
      if (Number(bytes.readBigUInt64BE(pos + 8)) !== seq) continue;
      bytes.writeUInt8(bytes.readUInt8(pos + 16 + 40) ^ 0x20, pos + 16 + 40); // inside the payload: the CRC no longer matches
      await writeFile(file, bytes);
      return { file, position: pos };
    }
  }
  throw new Error(`no WAL record ${seq} in ${walDir}`);
}

describe.skipIf(!stratusMode)('WAL damage (stratus dev)', () => {
  it('refuses to start, naming the place; with --recover=truncate keeps the records before it and never reuses the offsets after it', async () => {
    const first = await StratusProcess.start({ env: ENV });
    brokers.push(first);
    const producer = kafkaClient(first.bootstrap, 'wal-damage').producer();
    await producer.connect();
    const acked: number[] = [];
    // One request, one batch, one WAL record each.
    for (let i = 0; i < RECORDS; i++) acked.push(Number((await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] }))[0]!.baseOffset));
    await producer.disconnect();
    expect(acked).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    await first.kill();

    // WAL records: topic creation is in the metadata journal, so WAL seq i holds offset i.
    const walDir = path.join(first.dataDir, 'wal');
    const damaged = await damageRecord(walDir, 60);
    const refused = await StratusProcess.start({ dataDir: first.dataDir, kafkaPort: first.kafkaPort, env: ENV }).then(
      (b) => {
        brokers.push(b);
        return undefined;
      },
      (e: unknown) => String(e),
    );
    expect(refused).toContain(`WAL damage in ${damaged.file} at byte ${damaged.position}`);
    expect(refused).toContain('--recover=truncate');

    const second = await StratusProcess.start({ dataDir: first.dataDir, kafkaPort: first.kafkaPort, env: { ...ENV, STRATUS_WAL_RECOVER: 'truncate' } });
    brokers.push(second);
    expect(second.output).toContain('quarantine');
    const again = kafkaClient(second.bootstrap, 'wal-damage-2').producer();
    await again.connect();
    const next = Number((await again.send({ topic: TOPIC, acks: -1, messages: [{ key: 'after', value: 'after the damage' }] }))[0]!.baseOffset);
    await again.disconnect();
    // Offsets 60..119 were handed out before the damage: never again.
    expect(next).toBe(RECORDS);

    const want = [...Array.from({ length: 60 }, (_, i) => `${i}:k${i}`), `${RECORDS}:after`];
    // librdkafka (kcat) reads across the empty batch that covers 60..119.
    const kcat = await run('kcat', ['-b', second.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 60_000 });
    expect(kcat.code, describeFailure(kcat)).toBe(0);
    expect((jsonLines(kcat.stdout) as unknown as { offset: number; key: string }[]).map((m) => `${m.offset}:${m.key}`)).toEqual(want);
    // kafkajs too.
    const seen: string[] = [];
    const consumer = kafkaClient(second.bootstrap, 'wal-damage-3').consumer({ groupId: 'damage-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.offset}:${message.key?.toString()}`) });
    const deadline = Date.now() + 60_000;
    while (seen.length < want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(seen).toEqual(want);
    // And the Java consumer.
    const j = await java('CompatConsumer', ['--bootstrap', second.bootstrap, '--topic', TOPIC, '--group', 'damage-java', '--expect', String(want.length), '--timeout-ms', '60000']);
    expect(j.code, describeFailure(j)).toBe(0);
    const records = jsonLines(j.stdout).filter((l) => 'offset' in l) as unknown as { offset: number; key: string }[];
    expect(records.map((m) => `${m.offset}:${m.key}`)).toEqual(want);
  });
});
