// Regenerates one SASL fuzz case and runs it on a fresh broker set up as the test's
// (support/sasl-broker.ts), printing each step, what came back and any anomaly.
//
//   node test/fuzz/sasl-replay.ts <seed> <index>
//
// The users' passwords, SCRAM nonces and salts are new per broker, so the bytes differ
// from the run's where they hold them; the script — which frame, which mistake, what
// Kafka answers — is the same.

import { captureClientHello, SaslFuzzBroker } from './support/sasl-broker.ts';
import { generateSaslCase } from './support/sasl-cases.ts';
import { runSaslCase, SaslFuzzStats } from './support/sasl-runner.ts';

const [seedArg, indexArg] = process.argv.slice(2);
const seed = Number(seedArg);
const index = Number(indexArg);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(index)) {
  console.error('usage: node test/fuzz/sasl-replay.ts <seed> <index>');
  process.exit(2);
}
const broker = await SaslFuzzBroker.start();
try {
  const c = generateSaslCase(seed >>> 0, index, broker.target(await captureClientHello()));
  console.log(`case #${index}: ${c.family}/${c.variant} over ${c.transport} from ${c.localAddress}, ${c.steps.length} steps on ${c.connections} connection(s)`);
  const stats = new SaslFuzzStats();
  await runSaslCase(c, { endpoints: broker.endpoints, stepTimeoutMs: 5_000, secrets: broker.passwords, trace: (l) => console.log(l) }, stats);
  for (const a of stats.anomalies) console.log(`ANOMALY at "${a.step}": ${a.problem}`);
  process.exitCode = stats.anomalies.length > 0 ? 1 : 0;
} finally {
  const problems = broker.output.split('\n').filter((l) => /"level":(4|5|6)0/.test(l));
  for (const l of problems) console.log(`broker log: ${l.slice(0, 400)}`);
  await broker.stop();
}
