// A broker's group side in a test: ManualClock, fake controller, GroupCoordinator and the
// group/offset handlers, with `call` running a handler the way the dispatcher does: the
// request is encoded and decoded at the given version (so it carries exactly what that
// version can) and the answer is encoded and decoded too (a body that does not fit the
// version's schema fails the test).

import { ConsumerProtocolSubscriptionSpec, decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse, messageCodec, Writer } from '@stratus/protocol';
import type { ApiKeyNumber, ConsumerProtocolSubscription, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { ManualClock } from '@stratus/runtime';
import { TopicCatalog } from '../../../src/broker-context.ts';
import type { BrokerConfig, BrokerContext } from '../../../src/broker-context.ts';
import { GroupCoordinator } from '../../../src/groups/coordinator.ts';
import type { GroupCoordinatorOptions, GroupProtocol } from '../../../src/groups/coordinator.ts';
import { groupHandlers } from '../../../src/groups/handlers.ts';
import { CloseConnection, NO_RESPONSE } from '../../../src/handler.ts';
import type { AnyApiHandler, ApiHandler, RequestContext } from '../../../src/handler.ts';
import { FakeOffsetController } from './fake-controller.ts';
import { TEST_NODE_ID, forbiddenPartitions, testBrokerConfig } from '../../support/context.ts';

export const NODE_ID = TEST_NODE_ID;

export const CONFIG: BrokerConfig = testBrokerConfig({ groupMaxSessionTimeoutMs: 300_000, groupInitialRebalanceDelayMs: 3_000 });

const noPartitions = forbiddenPartitions('group handlers');

/** Deterministic member-id suffixes: u1, u2, ... */
export function counterUuid(): () => string {
  let n = 0;
  return () => `u${++n}`;
}

export interface GroupsWorld {
  readonly clock: ManualClock;
  readonly controller: FakeOffsetController;
  readonly ctx: BrokerContext;
  readonly coordinator: GroupCoordinator;
  readonly handlers: ReadonlyMap<number, AnyApiHandler>;
  /** Runs one request through the codec and the handler; resolves with the decoded answer. */
  call<K extends ApiKeyNumber>(apiKey: K, version: number, request: Input<RequestTypes[K]>, clientId?: string): Promise<ResponseTypes[K]>;
}

export function groupsWorld(
  options: { config?: Partial<BrokerConfig>; coordinator?: Partial<Omit<GroupCoordinatorOptions, 'clock' | 'config' | 'controller'>> } = {},
): GroupsWorld {
  const clock = new ManualClock();
  const controller = new FakeOffsetController();
  const config = { ...CONFIG, ...options.config };
  const ctx: BrokerContext = {
    config,
    controller: controller.asControllerApi(),
    clock,
    catalog: () => new TopicCatalog(controller.metadata()),
    partitions: noPartitions,
  };
  const coordinator = new GroupCoordinator({
    clock,
    config,
    controller: ctx.controller,
    randomUuid: counterUuid(),
    onError: (e) => {
      throw e;
    },
    ...options.coordinator,
  });
  const handlers = new Map(groupHandlers(ctx, coordinator).map((h) => [h.apiKey as number, h]));
  let correlationId = 0;
  const call = async <K extends ApiKeyNumber>(apiKey: K, version: number, request: Input<RequestTypes[K]>, clientId = 'client'): Promise<ResponseTypes[K]> => {
    const handler = handlers.get(apiKey) as ApiHandler<K> | undefined;
    if (handler === undefined) throw new Error(`no handler for API ${apiKey}`);
    if (version < handler.accept[0] || version > handler.accept[1]) throw new Error(`API ${apiKey} does not accept v${version}`);
    const frame = encodeRequest(apiKey, version, ++correlationId, clientId, request).subarray(4);
    const head = decodeRequestHeader(frame);
    if (!head.ok) throw head.error;
    const body = decodeRequestBody(apiKey, version, frame, head.value.bodyOffset);
    if (!body.ok) throw body.error;
    const rctx: RequestContext = { header: head.value.header, connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '::ffff:127.0.0.1:50123', signal: new AbortController().signal };
    const result = await handler.handle(body.value, rctx);
    if (result === NO_RESPONSE || result instanceof CloseConnection) throw new Error(`API ${apiKey} v${version} did not answer`);
    const out = Buffer.concat(encodeResponse(apiKey, version, head.value.header.correlationId, result));
    const decoded = decodeResponse(apiKey, version, out.subarray(4));
    if (!decoded.ok) throw decoded.error;
    return decoded.value.body;
  };
  return { clock, controller, ctx, coordinator, handlers, call };
}

/** Lets parked promises and timer continuations run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Consumer protocol subscription bytes (int16 version, then the subscription). */
export function subscription(topics: string[], version = 1): Buffer {
  const w = new Writer();
  w.int16(version);
  const body: Input<ConsumerProtocolSubscription> = { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null };
  messageCodec<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSpec, version).encode(w, body);
  return w.toBuffer();
}

export function protocols(names: string[], topics: string[] = ['orders']): GroupProtocol[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}
