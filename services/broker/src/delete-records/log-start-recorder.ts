// DeleteRecords in two steps. The broker moves its partition log's start at once, so reads
// below it are OFFSET_OUT_OF_RANGE from the moment the request is answered (as Kafka's
// leader does). The controller's partition index can only move a log start over data it
// holds, so the move is recorded there once everything below the target is committed —
// in the background, hurrying the uploader. A request waits for that only within its own
// timeout (timeout 0: not at all); the answer is the low watermark the broker recorded.
//
// One recorder per open partition, with at most one wait in progress however many
// requests arrive: later targets raise the goal of the running wait instead of adding
// waiters. A broker crash before the data commits forgets a move not yet recorded (the
// records become readable again), like a Kafka leader that dies before checkpointing its
// log start offset.

import type { ControllerApi } from '@stratus/controller';
import { ErrorCode } from '@stratus/protocol';
import type { PartitionLog } from '@stratus/storage';
import { controllerFailureAnswer } from '../controller-failure.ts';

export interface RecordOutcome {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const RECORDED: RecordOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

export class LogStartRecorder {
  private readonly log: PartitionLog;
  private readonly controller: Pick<ControllerApi, 'deleteRecords'>;
  /** The highest log start asked for. */
  private goal = -1;
  /** The highest log start the controller has recorded through this recorder. */
  private recorded = -1;
  private running: Promise<RecordOutcome> | undefined;

  constructor(log: PartitionLog, controller: Pick<ControllerApi, 'deleteRecords'>) {
    this.log = log;
    this.controller = controller;
  }

  /**
   * Moves the log start to `target` (at most the high watermark; checked by the caller)
   * and resolves once the controller has recorded it, or with the error that stopped it.
   */
  request(target: number): Promise<RecordOutcome> {
    this.log.advanceLogStart(target);
    if (target <= this.recorded) return Promise.resolve(RECORDED);
    this.goal = Math.max(this.goal, target);
    this.running ??= this.record().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Settles when no recording is in progress (shutdown waits for it). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async record(): Promise<RecordOutcome> {
    try {
      while (this.recorded < this.goal) {
        const target = this.goal;
        // Ends when the data is committed, or false when the log fails (leadership moved,
        // storage failed or closed) — never an unbounded wait.
        if (!(await this.log.committedThrough(target))) {
          return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `the log of ${this.log.key} closed before offset ${target} was committed` };
        }
        const result = await this.controller.deleteRecords({ topicId: this.log.topicId, partition: this.log.partition }, target);
        if (result.errorCode !== ErrorCode.NONE) return { errorCode: result.errorCode, errorMessage: result.errorMessage };
        this.recorded = target;
      }
      return RECORDED;
    } catch (e) {
      // The controller unavailable: REQUEST_TIMED_OUT (controller-failure.ts); the goal stays,
      // so the next request for it records it again.
      return controllerFailureAnswer(e, 'deleteRecords') ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `recording the log start failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}
