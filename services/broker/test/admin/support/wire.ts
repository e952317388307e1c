// Runs an admin handler the way the dispatcher does, through the real codec at one
// version: the request is encoded and decoded (so it holds exactly what that version can
// carry), and the handler's answer is encoded and decoded (so a body that does not fit
// the version's schema fails the test). Also builds the BrokerContext around a fake
// controller.

import { ManualClock } from '@stratus/runtime';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { TopicCatalog } from '../../../src/broker-context.ts';
import type { BrokerConfig, BrokerContext } from '../../../src/broker-context.ts';
import { CloseConnection, NO_RESPONSE } from '../../../src/handler.ts';
import type { ApiHandler, RequestContext } from '../../../src/handler.ts';
import { FakeController } from './fake-controller.ts';
import { TEST_NODE_ID, forbiddenPartitions, testBrokerConfig } from '../../support/context.ts';

export const NODE_ID = TEST_NODE_ID;
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const CONFIG: BrokerConfig = testBrokerConfig();

const noPartitions = forbiddenPartitions('admin handlers');

export interface AdminFixture {
  readonly controller: FakeController;
  readonly ctx: BrokerContext;
}

export function adminFixture(): AdminFixture {
  const controller = new FakeController();
  const ctx: BrokerContext = {
    config: CONFIG,
    controller: controller.asControllerApi(),
    clock: new ManualClock(),
    catalog: () => new TopicCatalog(controller.metadata()),
    partitions: noPartitions,
  };
  return { controller, ctx };
}

/** Every version a handler accepts, lowest first. */
export function acceptedVersions(handler: { readonly accept: readonly [number, number] }): number[] {
  const [min, max] = handler.accept;
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

const CORRELATION_ID = 4242;

/** The request body as a broker decodes it from `body` sent at `version`. */
export function asDecoded<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>): RequestTypes[K] {
  const frame = encodeRequest(apiKey, version, CORRELATION_ID, 'admin-test', body).subarray(4);
  const header = decodeRequestHeader(frame);
  if (!header.ok) throw header.error;
  const decoded = decodeRequestBody(apiKey, version, frame, header.value.bodyOffset);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

/** Calls the handler at `version` and returns its answer as a client decodes it. */
export async function call<K extends ApiKeyNumber>(handler: ApiHandler<K>, version: number, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
  const request = asDecoded(handler.apiKey, version, body);
  const rctx: RequestContext = {
    header: { apiKey: handler.apiKey, apiVersion: version, correlationId: CORRELATION_ID, clientId: 'admin-test' },
    connectionId: 1,
    listenerName: 'PLAINTEXT',
    remoteAddress: '127.0.0.1:50000',
    signal: new AbortController().signal,
  };
  const result = await handler.handle(request, rctx);
  if (result === NO_RESPONSE || result instanceof CloseConnection) throw new Error(`handler gave no response: ${String(result)}`);
  const bytes = Buffer.concat(encodeResponse(handler.apiKey, version, CORRELATION_ID, result));
  if (bytes.readInt32BE(0) !== bytes.length - 4) throw new Error('response size prefix does not match its frame');
  const decoded = decodeResponse(handler.apiKey, version, bytes.subarray(4));
  if (!decoded.ok) throw decoded.error;
  if (decoded.value.correlationId !== CORRELATION_ID) throw new Error('correlation id lost');
  return decoded.value.body;
}
