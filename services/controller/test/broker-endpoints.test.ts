// A broker's advertised listeners (BrokerInfo.endpoints) as the controller keeps them:
// through the journal's record codec and the snapshot sections, and what data written
// before listeners existed (a BrokerRegistered record or a snapshot's brokers section
// without endpoints) means when it is loaded: the broker's host:port on every listener.

import { describe, expect, it } from 'vitest';
import { SnapshotBuilder, applyRecord, brokerEndpointFor, captureState, emptyState } from '../src/index.ts';
import type { BrokerInfo, ControllerState, MetadataRecord, SnapshotSection } from '../src/index.ts';
import { decodeRecords, encodeRecords } from '../src/store/record-codec.ts';
import { clusterMetadata } from '../src/ops/metadata-view.ts';

const TWO_LISTENERS: BrokerInfo = {
  nodeId: 2,
  host: 'broker-2',
  port: 9092,
  rack: 'b',
  endpoints: [
    { listener: 'INTERNAL', host: 'broker-2', port: 9092 },
    { listener: 'EXTERNAL', host: '127.0.0.1', port: 19093 },
  ],
};

/** A journal entry as a controller from before listeners wrote it: format byte 1, then the JSON records. */
const OLD_JOURNAL_ENTRY = Buffer.concat([
  Buffer.from([0x01]),
  Buffer.from(JSON.stringify([{ type: 'ClusterCreated', clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ' }, { type: 'BrokerRegistered', broker: { nodeId: 1, host: 'b1.local', port: 9092, rack: null } }])),
]);

function stateOf(records: readonly MetadataRecord[]): ControllerState {
  const s = emptyState();
  for (const r of records) applyRecord(s, r);
  return s;
}

/** Sections as a snapshot file holds them (JSON lines), read back. */
function throughJson(sections: Iterable<SnapshotSection>): SnapshotSection[] {
  return [...sections].map((section) => JSON.parse(JSON.stringify(section)) as SnapshotSection);
}

function rebuild(sections: Iterable<SnapshotSection>): ControllerState {
  const b = new SnapshotBuilder();
  for (const section of sections) b.add(section);
  return b.finish();
}

describe('broker endpoints in the journal and snapshots', () => {
  it('survive the record codec in order', () => {
    const records: MetadataRecord[] = [{ type: 'BrokerRegistered', broker: TWO_LISTENERS }];
    expect(decodeRecords(encodeRecords(records))).toEqual(records);
  });

  it('a BrokerRegistered record from before listeners loads as host:port on every listener', () => {
    const records = decodeRecords(OLD_JOURNAL_ENTRY);
    const [broker] = clusterMetadata(stateOf(records), undefined).brokers;
    expect(broker).toEqual({ nodeId: 1, host: 'b1.local', port: 9092, rack: null, fenced: false, draining: false });
    for (const listener of ['PLAINTEXT', 'INTERNAL', 'EXTERNAL']) expect(brokerEndpointFor(broker!, listener)).toEqual({ listener, host: 'b1.local', port: 9092 });
  });

  it('survive a snapshot, beside a broker registered before listeners', () => {
    const s = stateOf([...decodeRecords(OLD_JOURNAL_ENTRY), { type: 'BrokerRegistered', broker: TWO_LISTENERS }]);
    const restored = rebuild(throughJson(captureState(s).sections()));
    const brokers = clusterMetadata(restored, undefined).brokers;
    expect(brokers).toEqual(clusterMetadata(s, undefined).brokers);
    expect(brokers.map((b) => b.endpoints)).toEqual([undefined, TWO_LISTENERS.endpoints]);
    // A broker with listeners has none but its own: clients of another listener are not shown it.
    expect(brokerEndpointFor(brokers[1]!, 'EXTERNAL')).toEqual({ listener: 'EXTERNAL', host: '127.0.0.1', port: 19093 });
    expect(brokerEndpointFor(brokers[1]!, 'PLAINTEXT')).toBeUndefined();
    expect(brokerEndpointFor(brokers[0]!, 'EXTERNAL')).toEqual({ listener: 'EXTERNAL', host: 'b1.local', port: 9092 });
  });
});
