// Which broker coordinates a consumer group: one FindCoordinator (v1) round trip on a raw
// socket to a given broker. kafkajs keeps its coordinator private, and the tests that kill
// a group's coordinator must know which broker that is before and after the kill.

import { connect } from 'node:net';
import { ApiKey, decodeResponse, encodeRequest } from '@stratus/protocol';

const TIMEOUT_MS = 5000;

export interface Coordinator {
  readonly errorCode: number;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** Asks the broker at `address` (host:port) for `group`'s coordinator. */
export async function findCoordinator(address: string, group: string): Promise<Coordinator> {
  const [host, port] = address.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  try {
    const frame = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`FindCoordinator to ${address}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          clearTimeout(timer);
          resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
        }
      });
      socket.write(encodeRequest(ApiKey.FindCoordinator, 1, 1, 'cluster-test', { key: group, keyType: 0, coordinatorKeys: [] }));
    });
    const decoded = decodeResponse(ApiKey.FindCoordinator, 1, frame);
    if (!decoded.ok) throw decoded.error;
    const b = decoded.value.body;
    return { errorCode: b.errorCode, nodeId: b.nodeId, host: b.host, port: b.port };
  } finally {
    socket.destroy();
  }
}
