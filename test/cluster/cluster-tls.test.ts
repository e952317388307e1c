// startCluster({ tls: true }) — `npm run cluster -- --tls`: a CA and certificates made by
// openssl in the cluster's data dir; the controllers serve gRPC with mTLS and accept only
// the certificates named broker and stratus-admin (grpc.tls.allowedPrincipals); the brokers
// present theirs. Kafka clients produce and consume through it as through any cluster;
// `stratus admin` reaches the controllers with the admin certificate; a client without a
// certificate, with one the CA signed for another name, or in plaintext gets nothing.

import { ChannelCredentials, Client, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerUnavailableError, GrpcControllerClient } from '@stratus/controller';
import { adminJson, stratusAdmin } from './lib/admin-cli.ts';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from './lib/kafka-clients.ts';

let cluster: Cluster;
let endpoints: string[];

beforeAll(async () => {
  cluster = await startCluster({ tls: true, controllers: 2, brokers: 2 });
  endpoints = cluster.controllers.map((c) => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']}`);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/**
 * The status of one DescribeCluster call to `address` with these credentials: a raw gRPC
 * call (an empty request message is zero bytes), its status as it is — no retries or
 * redirects as GrpcControllerClient would make.
 */
function describeStatus(address: string, credentials: ChannelCredentials): Promise<number> {
  const client = new Client(address, credentials);
  return new Promise<number>((resolve) => {
    client.makeUnaryRequest(
      '/stratus.controller.v1.ControllerService/DescribeCluster',
      () => Buffer.alloc(0),
      (b: Buffer) => b,
      {},
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (err: ServiceError | null) => resolve(err === null ? status.OK : err.code),
    );
  }).finally(() => client.close());
}

describe('a cluster with --tls', () => {
  it('brokers register over mTLS, and kafkajs produces and consumes through them', async () => {
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'cluster-tls');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'over-mtls', numPartitions: 4 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'over-mtls', { partitions: 4, batch: 10 });
    await new Promise((r) => setTimeout(r, 1000));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures).toEqual([]);
    expect(loop.acked.length).toBeGreaterThanOrEqual(40);
    const consumed = await consumeUntil(kafka, 'over-mtls', new Set(loop.acked.map((r) => r.value)), { groupId: 'over-mtls-readers' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
  });

  it('stratus admin reaches the controllers with the admin certificate, and not without one', async () => {
    const run = await stratusAdmin(['cluster', '--json'], { STRATUS_CONTROLLER_ENDPOINTS: endpoints.join(','), ...cluster.tls!.adminEnv });
    expect(run.code, run.stderr).toBe(0);
    const c = adminJson<{ brokers: { id: number; fenced: boolean }[] }>(run);
    expect(c.brokers.map((b) => b.id)).toEqual(cluster.brokers.map((b) => b.nodeId));
    expect(c.brokers.every((b) => !b.fenced)).toBe(true);

    const noCert = await stratusAdmin(['cluster'], { STRATUS_CONTROLLER_ENDPOINTS: endpoints.join(','), STRATUS_CONTROLLER_TLS_CA_FILE: cluster.tls!.caFile, STRATUS_CONTROLLER_CONNECT_TIMEOUT: '2s' });
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toContain('no controller answered');
  });

  it('refuses a client without a certificate, with one of the CA for another name, and in plaintext', async () => {
    const t = cluster.tls!;
    const ca = readFileSync(t.caFile);
    const active = await cluster.activeController();
    const address = `127.0.0.1:${active!.spec.env['STRATUS_GRPC_PORT']}`;
    const app = t.issue('kafka-app', 'kafka-app', 'clientAuth');
    const admin = { certFile: `${t.dir}/admin.crt`, keyFile: `${t.dir}/admin.key` };

    // The active controller answers the admin certificate: the checks below fail for the reasons they name.
    expect(await describeStatus(address, ChannelCredentials.createSsl(ca, readFileSync(admin.keyFile), readFileSync(admin.certFile)))).toBe(status.OK);
    // A certificate the cluster CA signed for a Kafka client, not a broker or an admin.
    expect(await describeStatus(address, ChannelCredentials.createSsl(ca, readFileSync(app.keyFile), readFileSync(app.certFile)))).toBe(status.PERMISSION_DENIED);
    // No certificate: the TLS handshake fails (mTLS required), as does plaintext.
    expect(await describeStatus(address, ChannelCredentials.createSsl(ca))).toBe(status.UNAVAILABLE);
    expect(await describeStatus(address, ChannelCredentials.createInsecure())).toBe(status.UNAVAILABLE);

    const refused = await GrpcControllerClient.connect({ target: endpoints, tls: { caFile: t.caFile }, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ControllerUnavailableError);

    // The brokers are still registered and unfenced: what was refused was only these clients.
    const run = await stratusAdmin(['cluster', '--json'], { STRATUS_CONTROLLER_ENDPOINTS: endpoints.join(','), ...t.adminEnv });
    expect(adminJson<{ brokers: { fenced: boolean }[] }>(run).brokers.every((b) => !b.fenced)).toBe(true);
  });
});
