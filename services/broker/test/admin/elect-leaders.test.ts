import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { electLeadersHandler } from '../../src/handlers/43-elect-leaders.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const PREFERRED = 0;
const UNCLEAN = 1;

const handlerShape = electLeadersHandler(adminFixture().ctx);

describe('ElectLeaders handler', () => {
  it('accepts every schema version, 0–2', () => {
    expect(handlerShape.accept).toEqual([0, 2]);
  });
});

describe.each(acceptedVersions(handlerShape))('ElectLeaders v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof electLeadersHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('led', 2);
    f.controller.addTopic('orphaned', 1, {}, -1);
    handler = electLeadersHandler(f.ctx);
  });

  it('needs no election for led partitions; unknown topics and partitions are reported', async () => {
    const res = await call(handler, version, {
      electionType: PREFERRED,
      topicPartitions: [
        { topic: 'led', partitions: [0, 1, 7] },
        { topic: 'missing', partitions: [0] },
        { topic: 'orphaned', partitions: [0] },
      ],
      timeoutMs: 1000,
    });
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.replicaElectionResults).toEqual([
      {
        topic: 'led',
        partitionResult: [
          { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
          { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
          { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as led-7' },
        ],
      },
      { topic: 'missing', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such topic as missing' }] },
      { topic: 'orphaned', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' }] },
    ]);
  });

  it('answers "all partitions" (null) with an empty list and NONE', async () => {
    const res = await call(handler, version, { electionType: PREFERRED, topicPartitions: null, timeoutMs: 1000 });
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, replicaElectionResults: [] });
  });

  if (version >= 1) {
    it('reports a leaderless partition as ELIGIBLE_LEADERS_NOT_AVAILABLE for an unclean election', async () => {
      const res = await call(handler, version, { electionType: UNCLEAN, topicPartitions: [{ topic: 'orphaned', partitions: [0] }, { topic: 'led', partitions: [1] }], timeoutMs: 1000 });
      expect(res.replicaElectionResults.map((t) => t.partitionResult[0]?.errorCode)).toEqual([ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, ErrorCode.ELECTION_NOT_NEEDED]);
    });

    it('fails an unknown election type at the top level and per partition', async () => {
      const res = await call(handler, version, { electionType: 5, topicPartitions: [{ topic: 'led', partitions: [0, 1] }], timeoutMs: 1000 });
      expect(res.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(res.replicaElectionResults).toEqual([
        {
          topic: 'led',
          partitionResult: [
            { partitionId: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown election type 5' },
            { partitionId: 1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown election type 5' },
          ],
        },
      ]);
    });
  } else {
    it('v0 carries no election type: the request is a preferred election', async () => {
      const res = await call(handler, version, { electionType: 5, topicPartitions: [{ topic: 'orphaned', partitions: [0] }], timeoutMs: 1000 });
      expect(res.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    });
  }
});
