// Runs SASL fuzz cases (sasl-cases.ts) over many concurrent workers, each case on fresh
// connections from its own loopback address, and judges every event against the case's
// expectations: an answer must carry the request's correlation id, decode with its API's
// schema, have an error code Kafka would answer with (and Kafka's message), and contain
// no password; a close must come where Kafka closes, and only there. Anything else is an
// anomaly, kept with the case's index, variant, step and bytes.

import { ApiKey, apiSpec, decodeResponse, errorName } from '@stratus/protocol';
import type { ApiKeyNumber } from '@stratus/protocol';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { generateSaslCase, SASL_FAMILIES } from './sasl-cases.ts';
import type { Exchange, SaslCase, SaslFamily, SaslStep, SaslTarget } from './sasl-cases.ts';
import { requestHeaderOf, WireConnection } from './wire.ts';

export interface SaslEndpoints {
  readonly host: string;
  readonly clearPort: number;
  readonly securePort: number;
  /** The client side of TLS: the test CA, and the name the certificate has. */
  readonly tls: TlsOptions;
}

export interface SaslAnomaly {
  readonly index: number;
  readonly variant: string;
  readonly step: string;
  readonly problem: string;
  /** The step's bytes (hex, first 512). */
  readonly hex: string;
}

export const SASL_OUTCOMES = ['answered', 'closed', 'anomaly'] as const;

export class SaslFuzzStats {
  cases = 0;
  steps = 0;
  bytesWritten = 0;
  connectFailures = 0;
  readonly byFamily = new Map<SaslFamily, { cases: number; answers: number; closes: number; anomalies: number }>();
  readonly variants = new Map<string, number>();
  /** Answers by API and error code name. */
  readonly codes = new Map<string, number>();
  /** Successful authentications by kind (PLAIN, SCRAM-SHA-256, ...), TLS or not. */
  readonly successes = new Map<string, number>();
  readonly anomalies: SaslAnomaly[] = [];
  /** Answers whose bytes held a password. */
  leaks = 0;

  constructor() {
    for (const f of SASL_FAMILIES) this.byFamily.set(f, { cases: 0, answers: 0, closes: 0, anomalies: 0 });
  }

  anomaly(c: SaslCase, step: SaslStep | undefined, problem: string, bytes?: Buffer): void {
    this.byFamily.get(c.family)!.anomalies++;
    if (this.anomalies.length >= 300) return;
    this.anomalies.push({ index: c.index, variant: `${c.family}/${c.variant} (${c.transport})`, step: step?.label ?? '-', problem, hex: bytes?.subarray(0, 512).toString('hex') ?? '' });
  }
}

export interface SaslRunOptions {
  readonly seed: number;
  readonly target: SaslTarget;
  readonly endpoints: SaslEndpoints;
  readonly cases: number;
  readonly connections: number;
  /** How long one answer or close may take. */
  readonly stepTimeoutMs: number;
  readonly deadlineMs: number;
  readonly abort?: () => boolean;
  /** Secrets that must never come back. */
  readonly secrets: readonly string[];
  /** Told each step and what came back (sasl-replay.ts). */
  readonly trace?: (line: string) => void;
}

export async function runSaslFuzz(o: SaslRunOptions, stats: SaslFuzzStats): Promise<void> {
  let next = 0;
  const stopAt = Date.now() + o.deadlineMs;
  const worker = async (): Promise<void> => {
    while (next < o.cases && Date.now() < stopAt && !(o.abort?.() ?? false)) {
      const c = generateSaslCase(o.seed, next++, o.target);
      await runSaslCase(c, o, stats);
    }
  };
  await Promise.all(Array.from({ length: o.connections }, () => worker()));
}

async function connect(c: SaslCase, e: SaslEndpoints): Promise<WireConnection> {
  const local = { localAddress: c.localAddress };
  if (c.transport === 'tls') return WireConnection.connect(e.host, e.securePort, 5_000, { ...local, tls: e.tls });
  return WireConnection.connect(e.host, c.transport === 'tcp-to-secure' ? e.securePort : e.clearPort, 5_000, local);
}

/** Runs one case and records what happened; never throws for what the broker does. */
export async function runSaslCase(c: SaslCase, o: Pick<SaslRunOptions, 'endpoints' | 'stepTimeoutMs' | 'secrets' | 'trace'>, stats: SaslFuzzStats): Promise<void> {
  stats.cases++;
  const family = stats.byFamily.get(c.family)!;
  family.cases++;
  stats.variants.set(`${c.family}/${c.variant}`, (stats.variants.get(`${c.family}/${c.variant}`) ?? 0) + 1);
  const conns: WireConnection[] = [];
  try {
    for (let i = 0; i < c.connections; i++) conns.push(await connect(c, o.endpoints));
  } catch (e) {
    stats.connectFailures++;
    for (const conn of conns) conn.destroy();
    // A TLS handshake the broker refuses would be its own anomaly; a loaded machine's slow connect is not.
    if (c.transport === 'tls' && !/timed out/.test((e as Error).message)) stats.anomaly(c, undefined, `TLS connect failed: ${(e as Error).message}`);
    return;
  }
  const x: Exchange = { serverFirst: [undefined, undefined], finals: [] };
  const ended = [false, false];
  try {
    let i = 0;
    while (i < c.steps.length) {
      // A group: steps written together (pipelined), on one connection.
      let j = i;
      while (c.steps[j]!.pipelined === true && j + 1 < c.steps.length && c.steps[j + 1]!.conn === c.steps[i]!.conn) j++;
      const group = c.steps.slice(i, j + 1);
      i = j + 1;
      const n = group[0]!.conn;
      const conn = conns[n]!;
      if (ended[n]) continue;
      const parts: Buffer[] = [];
      for (const s of group) {
        const b = s.bytes(x);
        if (b === undefined) return; // an earlier answer this needs did not come (already judged)
        parts.push(b);
      }
      const bytes = Buffer.concat(parts);
      stats.steps += group.length;
      stats.bytesWritten += bytes.length;
      const last = group[group.length - 1]!;
      if (last.underTls === true) {
        conn.transport.write(bytes);
        if (last.thenEnd === true) conn.transport.end();
      } else {
        conn.writeAndForget(bytes);
        if (last.thenEnd === true) conn.end();
      }
      if (last.expect.kind === 'reset') {
        conn.reset();
        ended[n] = true;
        continue;
      }
      for (let k = 0; k < group.length; k++) {
        const verdict = await judge(c, group[k]!, parts[k]!, conn, x, o, stats);
        if (verdict === 'ended') {
          ended[n] = true;
          break;
        }
      }
    }
  } finally {
    for (const conn of conns) conn.destroy();
  }
}

/** Reads the next event for `step` and judges it; 'ended' when the connection is finished with. */
async function judge(c: SaslCase, step: SaslStep, bytes: Buffer, conn: WireConnection, x: Exchange, o: Pick<SaslRunOptions, 'stepTimeoutMs' | 'secrets' | 'trace'>, stats: SaslFuzzStats): Promise<'go-on' | 'ended'> {
  const family = stats.byFamily.get(c.family)!;
  const e = await conn.next(o.stepTimeoutMs);
  const expect = step.expect;
  o.trace?.(`connection ${step.conn}: ${step.label} (${bytes.length} bytes: ${bytes.subarray(0, 48).toString('hex')}${bytes.length > 48 ? '…' : ''}) → ${e.kind === 'frame' ? `an answer of ${e.frame.length} bytes` : e.kind}`);
  if (e.kind === 'timeout') {
    stats.anomaly(c, step, `no answer and no close within ${o.stepTimeoutMs} ms (expected ${expect.kind === 'answer' ? `an answer, ${expect.codes.map(errorName).join(' or ')}` : expect.kind})`, bytes);
    return 'ended';
  }
  if (e.kind === 'closed') {
    family.closes++;
    // A TLS alert before the close is what a TLS port says to bytes that are not TLS.
    if (conn.protocolError !== undefined && c.transport !== 'tcp-to-secure') stats.anomaly(c, step, `the broker sent a bad frame: ${conn.protocolError}`, bytes);
    if (expect.kind === 'answer' && expect.orClose !== true) stats.anomaly(c, step, `closed the connection instead of answering ${expect.codes.map(errorName).join(' or ')}`, bytes);
    return 'ended';
  }
  family.answers++;
  for (const secret of o.secrets) {
    if (e.frame.includes(secret)) {
      stats.leaks++;
      stats.anomaly(c, step, 'a password in the answer', bytes);
    }
  }
  const header = requestHeaderOf(bytes);
  if (expect.kind === 'close') {
    stats.anomaly(c, step, `answered (${header ? `API ${header.apiKey} v${header.apiVersion}` : 'no request header'}) where Kafka closes the connection`, bytes);
    return 'ended';
  }
  const correlationId = e.frame.readInt32BE(0);
  if (header === undefined || correlationId !== header.correlationId) {
    stats.anomaly(c, step, `answer with correlation id ${correlationId}, the request had ${header?.correlationId}`, bytes);
    return 'ended';
  }
  if (expect.kind === 'any') {
    if (!decodeResponse(header.apiKey as ApiKeyNumber, header.apiVersion, e.frame).ok && header.apiKey !== ApiKey.ApiVersions) stats.anomaly(c, step, `answer does not decode as API ${header.apiKey} v${header.apiVersion}`, bytes);
    return 'ended';
  }
  if (expect.kind === 'reset') return 'ended';
  const decoded = decodeResponse(expect.apiKey as ApiKeyNumber, expect.version, e.frame);
  if (!decoded.ok) {
    stats.anomaly(c, step, `answer does not decode as API ${expect.apiKey} v${expect.version}: ${decoded.error.message}`, bytes);
    return 'ended';
  }
  const body = decoded.value.body as unknown as Record<string, unknown>;
  const code = Number(body['errorCode'] ?? 0);
  const codeKey = `${apiSpec(expect.apiKey)?.name ?? expect.apiKey} ${errorName(code)}`;
  stats.codes.set(codeKey, (stats.codes.get(codeKey) ?? 0) + 1);
  o.trace?.(`  ${codeKey}${typeof body['errorMessage'] === 'string' && body['errorMessage'] !== '' ? `: ${body['errorMessage']}` : ''}`);
  if (!expect.codes.includes(code)) {
    stats.anomaly(c, step, `answered ${errorName(code)}${body['errorMessage'] ? ` (${String(body['errorMessage'])})` : ''}, Kafka answers ${expect.codes.map(errorName).join(' or ')}`, bytes);
    return 'ended';
  }
  if (expect.message !== undefined) {
    const m = body['errorMessage'];
    const ok = typeof expect.message === 'string' ? m === expect.message : typeof m === 'string' && expect.message.test(m);
    if (!ok) stats.anomaly(c, step, `message ${JSON.stringify(m)}, Kafka's is ${String(expect.message)}`, bytes);
  }
  const problem = expect.check?.(body, x);
  if (problem !== undefined) stats.anomaly(c, step, problem, bytes);
  expect.keep?.(body, x);
  if (expect.success !== undefined && problem === undefined) {
    const key = `${expect.success}${c.transport === 'tls' ? ' over TLS' : ''}`;
    stats.successes.set(key, (stats.successes.get(key) ?? 0) + 1);
  }
  return 'go-on';
}
