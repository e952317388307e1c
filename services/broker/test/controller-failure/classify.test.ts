// controller-failure.ts on its own: which errors are controller failures (by their stable
// code, through `cause` wrappers, never by message), the Kafka error each kind of request
// gets for them, askController's split between answering and rethrowing, and the
// dispatcher naming a controller failure a handler let through. One real case too: the
// error a GrpcControllerClient call ends in when nothing listens on its port.

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ControllerClientClosedError,
  ControllerClosedError,
  ControllerFailedError,
  ControllerInternalError,
  ControllerInvalidArgumentError,
  ControllerMetadataLagError,
  ControllerUnavailableError,
  ControllerUnimplementedError,
  GrpcControllerClient,
} from '@stratus/controller';
import { ApiKey, encodeRequest, ErrorCode } from '@stratus/protocol';
import { SeededRandom } from '@stratus/runtime';
import { askController, CONTROLLER_FAILURE_CODES, controllerFailure, controllerFailureAnswer } from '../../src/controller-failure.ts';
import type { ControllerCallKind } from '../../src/controller-failure.ts';
import { Dispatcher } from '../../src/dispatcher.ts';
import { defineHandler } from '../../src/handler.ts';

const UNAVAILABLE = 14;

const retriable: [string, () => Error][] = [
  ['ControllerUnavailableError (unreachable, deadline, redirects exhausted)', () => new ControllerUnavailableError('down', UNAVAILABLE)],
  ['ControllerMetadataLagError (applied, not yet watched)', () => new ControllerMetadataLagError(7, 5000, 6)],
  ['ControllerClientClosedError (this broker is shutting down)', () => new ControllerClientClosedError()],
  ['ControllerClosedError (in process)', () => new ControllerClosedError()],
  ['ControllerFailedError (in process, its store failed)', () => new ControllerFailedError(new Error('disk'))],
];
const notRetriable: [string, () => Error][] = [
  ['ControllerInvalidArgumentError', () => new ControllerInvalidArgumentError('bad', 3)],
  ['ControllerUnimplementedError', () => new ControllerUnimplementedError('no', 12)],
  ['ControllerInternalError', () => new ControllerInternalError('bug', 13)],
];

const EXPECTED: Record<ControllerCallKind, number> = {
  admin: ErrorCode.NOT_CONTROLLER,
  deleteRecords: ErrorCode.REQUEST_TIMED_OUT,
  group: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  producerIds: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  produce: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  read: ErrorCode.KAFKA_STORAGE_ERROR,
  autoCreate: ErrorCode.LEADER_NOT_AVAILABLE,
};

describe('controllerFailure', () => {
  it.each(retriable)('%s is a retriable controller failure', (_, make) => {
    const e = make();
    expect(controllerFailure(e)).toEqual({ code: (e as Error & { code: string }).code, retriable: true, message: e.message });
  });

  it.each(notRetriable)('%s is a controller failure a retry cannot help', (_, make) => {
    expect(controllerFailure(make())?.retriable).toBe(false);
  });

  it('finds a controller error wrapped as the cause of another error, a few levels deep', () => {
    const inner = new ControllerUnavailableError('down', UNAVAILABLE);
    const wrapped = new Error('opening the partition failed', { cause: new Error('reading the index failed', { cause: inner }) });
    expect(controllerFailure(wrapped)?.code).toBe(ControllerUnavailableError.CODE);
  });

  it('stops following causes after a bounded depth', () => {
    let e: Error = new ControllerUnavailableError('down', UNAVAILABLE);
    for (let i = 0; i < 10; i++) e = new Error(`wrapper ${i}`, { cause: e });
    expect(controllerFailure(e)).toBeUndefined();
  });

  it('is not fooled by other errors: plain errors, system errors with a code, messages that mention the controller, non-errors', () => {
    expect(controllerFailure(new Error('controller unavailable'))).toBeUndefined();
    expect(controllerFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(controllerFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(controllerFailure({ code: ControllerUnavailableError.CODE, retriable: true })).toBeUndefined();
    expect(controllerFailure('CONTROLLER_UNAVAILABLE')).toBeUndefined();
    expect(controllerFailure(undefined)).toBeUndefined();
  });
});

describe('controllerFailureAnswer', () => {
  it('maps every kind of request to its retriable Kafka error', () => {
    expect(CONTROLLER_FAILURE_CODES).toEqual(EXPECTED);
    const e = new ControllerUnavailableError('deadline exceeded', 4);
    for (const kind of Object.keys(EXPECTED) as ControllerCallKind[]) {
      const answer = controllerFailureAnswer(e, kind);
      expect(answer?.errorCode, kind).toBe(EXPECTED[kind]);
      expect(answer?.errorMessage).toContain('CONTROLLER_UNAVAILABLE');
    }
  });

  it.each(notRetriable)('answers %s with UNKNOWN_SERVER_ERROR, which clients do not retry', (_, make) => {
    expect(controllerFailureAnswer(make(), 'admin')?.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });

  it('has no answer for an error that is not a controller failure', () => {
    expect(controllerFailureAnswer(new RangeError('bug'), 'group')).toBeUndefined();
  });
});

describe('askController', () => {
  it('passes a successful answer through', async () => {
    await expect(askController('admin', () => Promise.resolve([1, 2]), () => [])).resolves.toEqual([1, 2]);
  });

  it('turns a controller failure into the caller\'s per-item answers', async () => {
    const answers = await askController(
      'admin',
      () => Promise.reject(new ControllerMetadataLagError(3, 5000, 2)),
      (failed) => ['a', 'b'].map((name) => ({ name, ...failed })),
    );
    expect(answers.map((a) => [a.name, a.errorCode])).toEqual([
      ['a', ErrorCode.NOT_CONTROLLER],
      ['b', ErrorCode.NOT_CONTROLLER],
    ]);
  });

  it('also catches a call that throws before returning a promise', async () => {
    const answer = await askController<number>(
      'group',
      () => {
        throw new ControllerClosedError();
      },
      (failed) => failed.errorCode,
    );
    expect(answer).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('rethrows anything else: a bug stays a bug', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    await expect(askController('admin', () => Promise.reject(bug), () => [])).rejects.toBe(bug);
  });
});

describe('a real GrpcControllerClient call to a port nobody listens on', () => {
  it('ends in a retriable controller failure', async () => {
    // A port that was free a moment ago: connections to it are refused.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // connect() waits for the watch's first metadata: it fails with the same error class.
    const connecting = GrpcControllerClient.connect({ target: `127.0.0.1:${port}`, connectTimeoutMs: 300, random: new SeededRandom(1) });
    const error = await connecting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(controllerFailure(error)).toMatchObject({ code: ControllerUnavailableError.CODE, retriable: true });
    expect(controllerFailureAnswer(error, 'group')?.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('the dispatcher', () => {
  it('closes the connection on a controller failure a handler let through, and says so', async () => {
    const problems: string[] = [];
    const leaky = defineHandler({
      apiKey: ApiKey.ListGroups,
      accept: [0, 4],
      handle: () => Promise.reject(new ControllerUnavailableError('down', UNAVAILABLE)),
    });
    const buggy = defineHandler({
      apiKey: ApiKey.DescribeGroups,
      accept: [0, 5],
      handle: () => Promise.reject(new TypeError('bug')),
    });
    const dispatcher = new Dispatcher([leaky, buggy], { onProblem: (problem) => problems.push(problem) });
    const conn = { connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1:1', signal: new AbortController().signal };
    // Frames without their size prefix, as the network layer hands them over.
    const leaked = await dispatcher.dispatch(encodeRequest(ApiKey.ListGroups, 4, 1, 't', { statesFilter: [] }).subarray(4), conn);
    const bug = await dispatcher.dispatch(encodeRequest(ApiKey.DescribeGroups, 4, 2, 't', { groups: ['g'], includeAuthorizedOperations: false }).subarray(4), conn);
    expect(leaked.kind).toBe('close');
    expect(bug.kind).toBe('close');
    expect(problems[0]).toMatch(/let a controller failure through \(CONTROLLER_UNAVAILABLE\)/);
    expect(problems[1]).toBe(`handler for API ${ApiKey.DescribeGroups} failed`);
  });
});
