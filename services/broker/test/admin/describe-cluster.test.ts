import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { describeClusterHandler } from '../../src/handlers/60-describe-cluster.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import { AclOperation } from '../../src/auth/authorized-operations.ts';
import type { Authorizer } from '../../src/auth/authorized-operations.ts';

const NOT_REQUESTED = -2147483648;
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);
const handlerShape = describeClusterHandler(adminFixture().ctx);

describe('DescribeCluster handler', () => {
  it('accepts every schema version, 0–1', () => {
    expect(handlerShape.accept).toEqual([0, 1]);
  });
});

describe.each(acceptedVersions(handlerShape))('DescribeCluster v%i', (version) => {
  it("describes the cluster from the controller's metadata", async () => {
    const { ctx } = adminFixture();
    for (const includeClusterAuthorizedOperations of [false, true]) {
      const res = await call(describeClusterHandler(ctx), version, { includeClusterAuthorizedOperations, endpointType: 1 });
      expect(res).toMatchObject({
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: 1,
        clusterId: 'stratus-test-cluster',
        controllerId: 1,
        // Without an authorizer, Kafka lists every cluster operation when asked:
        // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
        clusterAuthorizedOperations: includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : NOT_REQUESTED,
      });
      expect(res.brokers).toEqual([
        { brokerId: 1, host: 'broker-1.local', port: 9092, rack: null },
        { brokerId: 2, host: 'broker-2.local', port: 9093, rack: 'eu-west-1b' },
      ]);
    }
  });

  it("asks the authorizer when one is configured and reports its answer", async () => {
    const { ctx } = adminFixture();
    const asked: string[] = [];
    const authorizer: Authorizer = {
      allowedOperations: (request, type, name, operations) => {
        asked.push(`${request.header.clientId}:${type}:${name}:${operations.length}`);
        return operations.filter((op) => op === AclOperation.DESCRIBE || op === AclOperation.DESCRIBE_CONFIGS);
      },
    };
    const res = await call(describeClusterHandler({ ...ctx, authorizer }), version, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(res.clusterAuthorizedOperations).toBe((1 << AclOperation.DESCRIBE) | (1 << AclOperation.DESCRIBE_CONFIGS));
    expect(asked).toEqual(['admin-test:cluster:kafka-cluster:7']);
  });

  if (version >= 1) {
    it('refuses controller endpoints and unknown endpoint types', async () => {
      const handler = describeClusterHandler(adminFixture().ctx);
      const controllers = await call(handler, version, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      expect(controllers).toMatchObject({ errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, brokers: [], clusterId: '' });
      expect(controllers.errorMessage).toMatch(/endpoint of type BROKER/);
      const unknown = await call(handler, version, { includeClusterAuthorizedOperations: false, endpointType: 9 });
      expect(unknown).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 9' });
    });
  }
});
