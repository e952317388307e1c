// Stand-alone reproductions of what the SASL fuzzer (sasl-fuzz.test.ts) found, each on a
// fresh broker set up as the test's (support/sasl-broker.ts):
//
//   node test/fuzz/sasl-findings.ts pipelined-guesses   password guesses pipelined behind a failed PLAIN attempt are all checked and answered
//   node test/fuzz/sasl-findings.ts pre-auth-size       a 1 MiB SaslAuthenticate is read and answered before authentication
//   node test/fuzz/sasl-findings.ts long-names          unknown 100 KB user names sent before authentication stay in the broker's heap
//
// Each prints what it sent and what came back, and exits 1 while the problem is there.

import { ApiKey, decodeResponse, encodeRequest, errorName } from '@stratus/protocol';
import { SaslFuzzBroker } from './support/sasl-broker.ts';
import { WireConnection } from './support/wire.ts';

type Finding = (broker: SaslFuzzBroker) => Promise<boolean>;

/** Every answer on `conn` until it closes or is quiet for a second: SaslAuthenticate codes and messages. */
async function answers(conn: WireConnection, apiKeys: readonly number[]): Promise<string[]> {
  const seen: string[] = [];
  for (const apiKey of apiKeys) {
    const e = await conn.next(1_000);
    if (e.kind !== 'frame') {
      seen.push(e.kind);
      break;
    }
    const d = decodeResponse(apiKey as typeof ApiKey.SaslAuthenticate, apiKey === ApiKey.SaslHandshake ? 1 : 2, e.frame);
    const body = d.ok ? (d.value.body as { errorCode: number; errorMessage?: string | null }) : undefined;
    seen.push(body === undefined ? 'undecodable' : `${errorName(body.errorCode)}${body.errorMessage ? ` (${body.errorMessage})` : ''}`);
  }
  return seen;
}

/**
 * A PLAIN handshake and five SaslAuthenticate frames in one write: a wrong password, then
 * guesses, the right one fourth. Kafka reads the first, fails it, closes the connection.
 * Before the fix every guess was checked (concurrently, while the first one's PBKDF2 ran)
 * and answered, and the right one authenticated the connection after its failure.
 */
const pipelinedGuesses: Finding = async (broker) => {
  const { admin } = broker.users;
  const guesses = ['wrong-1', 'wrong-2', 'wrong-3', admin.password, 'wrong-4'];
  const frames = [encodeRequest(ApiKey.SaslHandshake, 1, 1, 'finding', { mechanism: 'PLAIN' }), ...guesses.map((p, i) => encodeRequest(ApiKey.SaslAuthenticate, 2, 2 + i, 'finding', { authBytes: Buffer.from(`\u0000${admin.name}\u0000${p}`) }))];
  const conn = await WireConnection.connect(broker.host, broker.clearPort);
  conn.writeAndForget(Buffer.concat(frames));
  const seen = await answers(conn, [ApiKey.SaslHandshake, ...guesses.map(() => ApiKey.SaslAuthenticate)]);
  conn.destroy();
  console.log(`handshake, then 5 guesses (the right one 4th) in one write: ${seen.join(' | ')}`);
  return seen.length === 3 && seen[1]!.startsWith('SASL_AUTHENTICATION_FAILED') && seen[2] === 'closed';
};

/**
 * A SaslAuthenticate of 1 MiB (a PLAIN password that long) before authentication. Kafka
 * reads no frame over sasl.server.max.receive.size (512 KiB) from a client that has not
 * authenticated: it closes the connection. Before the fix the broker read it whole (up to
 * socket.request.max.bytes, 100 MiB, per connection) and answered.
 */
const preAuthSize: Finding = async (broker) => {
  const conn = await WireConnection.connect(broker.host, broker.clearPort);
  conn.writeAndForget(encodeRequest(ApiKey.SaslHandshake, 1, 1, 'finding', { mechanism: 'PLAIN' }));
  const seen = await answers(conn, [ApiKey.SaslHandshake]);
  conn.writeAndForget(encodeRequest(ApiKey.SaslAuthenticate, 2, 2, 'finding', { authBytes: Buffer.from(`\u0000${broker.users.admin.name}\u0000${'p'.repeat(1 << 20)}`) }));
  seen.push(...(await answers(conn, [ApiKey.SaslAuthenticate])));
  conn.destroy();
  console.log(`handshake, then a 1 MiB SaslAuthenticate: ${seen.join(' | ')}`);
  return seen[1] === 'closed';
};

/**
 * 200 PLAIN attempts, each with an unknown user name of 100 KB (under the 512 KiB limit),
 * then a heap snapshot of the broker (SaslFuzzBroker.heapStrings). Before the fix the
 * controller credential cache kept each name (once per SCRAM mechanism) whatever its
 * length: 10,000 entries of such names are gigabytes. Now names over 1,024 characters
 * are never cached.
 */
const longNames: Finding = async (broker) => {
  const { admin } = broker.users;
  for (let i = 0; i < 200; i++) {
    const conn = await WireConnection.connect(broker.host, broker.clearPort);
    conn.writeAndForget(Buffer.concat([encodeRequest(ApiKey.SaslHandshake, 1, 1, 'finding', { mechanism: 'PLAIN' }), encodeRequest(ApiKey.SaslAuthenticate, 2, 2, 'finding', { authBytes: Buffer.from(`\u0000long-name-${i}-${'n'.repeat(100_000)}\u0000${admin.password}`) })]));
    await answers(conn, [ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
    conn.destroy();
  }
  const kept = (await broker.heapStrings()).filter((s) => /long-name-\d+-n{100}/.test(s)).length;
  console.log(`200 failed PLAIN logins with unknown 100 KB names; strings holding such a name in the broker's heap afterwards: ${kept}`);
  return kept === 0;
};

const FINDINGS: Record<string, Finding> = { 'pipelined-guesses': pipelinedGuesses, 'pre-auth-size': preAuthSize, 'long-names': longNames };

const name = process.argv[2] ?? '';
const run = FINDINGS[name];
if (run === undefined) {
  console.error(`usage: node test/fuzz/sasl-findings.ts ${Object.keys(FINDINGS).join(' | ')}`);
  process.exit(2);
}
const broker = await SaslFuzzBroker.start();
try {
  const fine = await run(broker);
  console.log(fine ? 'OK: not reproduced' : 'REPRODUCED');
  process.exitCode = fine ? 0 : 1;
} finally {
  await broker.stop();
}
