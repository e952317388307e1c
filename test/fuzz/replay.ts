// Regenerates one fuzz case and sends it the way the fuzzer does.
//
//   node test/fuzz/replay.ts <seed> <index>                    on a fresh `stratus dev` it starts
//   node test/fuzz/replay.ts <seed> <index> 127.0.0.1:9092     on a running broker
//   node test/fuzz/replay.ts --hex <bytes> [127.0.0.1:9092]    exact bytes from a report
//
// The context (served versions, fuzz topics and their ids) is read from the broker as
// the test does, so the bytes are the run's, except for topic ids (new per broker) and
// timestamps, which are relative to the broker's clock — the report's hex is exact. The
// broker's state is fresh, not what the run had built up. Slow senders are judged against
// the fuzz settings' timeouts (FUZZ_BROKER_ENV): on a running broker with others, expect
// their timing verdicts to differ.

import { StratusProcess } from '../support/stratus-process.ts';
import { brokerContext, FUZZ_BROKER_ENV } from './support/context.ts';
import { describeExpectation, generateCase } from './support/generator.ts';
import type { FuzzCase } from './support/generator.ts';
import { FuzzStats, OUTCOMES, runCase } from './support/runner.ts';
import { WireConnection } from './support/wire.ts';

function usage(): never {
  console.error('usage: node test/fuzz/replay.ts <seed> <index> [host:port] | --hex <bytes> [host:port]');
  process.exit(2);
}

const args = process.argv.slice(2);
const hex = args[0] === '--hex';
if (args.length < 2) usage();
const target = args[2];
let started: StratusProcess | undefined;
let host = '127.0.0.1';
let port: number;
if (target === undefined) {
  started = await StratusProcess.start({ env: FUZZ_BROKER_ENV });
  port = started.kafkaPort;
  console.log(`started stratus dev on ${started.bootstrap} (data in ${started.dataDir})`);
} else {
  const at = target.lastIndexOf(':');
  host = target.slice(0, at);
  port = Number(target.slice(at + 1));
}

try {
  const ctx = await brokerContext(host, port);
  let fuzzCase: FuzzCase;
  if (hex) fuzzCase = { index: -1, category: 'garbage', variant: 'hex', bytes: Buffer.from(args[1]!, 'hex'), delivery: 'await', expect: 'any' };
  else {
    const seed = Number(args[0]);
    const index = Number(args[1]);
    if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(index)) usage();
    fuzzCase = generateCase(seed >>> 0, index, ctx);
  }
  const delivery = typeof fuzzCase.delivery === 'string' ? fuzzCase.delivery : JSON.stringify(fuzzCase.delivery);
  console.log(`case #${fuzzCase.index}: ${fuzzCase.category}/${fuzzCase.variant}, delivery ${delivery}, broker must: ${describeExpectation(fuzzCase.expect)}`);
  console.log(`${fuzzCase.bytes.length} bytes: ${fuzzCase.bytes.toString('hex')}`);

  const conn = await WireConnection.connect(host, port);
  const stats = new FuzzStats();
  await runCase(conn, fuzzCase, 0x7ffffff0, 3_000, stats);
  conn.destroy();
  const outcome = OUTCOMES.find((o) => stats.byCategory.get(fuzzCase.category)![o] > 0);
  const partition = [...stats.partitionCodes.values()].flatMap((m) => [...m.keys()]);
  const closedAfter = [...stats.closeLatenciesMs.values()].flat();
  console.log(
    `outcome: ${outcome ?? 'none'}; error codes: ${[...stats.errorCodes.keys()].join(', ') || 'none'}${partition.length > 0 ? `; partition: ${partition.join(', ')}` : ''}${closedAfter.length > 0 ? `; closed ${closedAfter[0]} ms after its timeout began` : ''}`,
  );
  for (const a of stats.anomalies) console.log(`ANOMALY: ${a.problem}`);
  process.exitCode = stats.anomalies.length > 0 ? 1 : 0;
} finally {
  if (started !== undefined) {
    const problems = started.output.split('\n').filter((l) => /"level":(4|5|6)0/.test(l));
    for (const l of problems) console.log(`broker log: ${l.slice(0, 600)}`);
    await started.stop();
    started.removeData();
  }
}
