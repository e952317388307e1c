// A bounded number of concurrent tasks with two priorities. Object-store GETs run here:
// demand reads (a consumer is waiting) go before read-ahead, and a queued read-ahead task
// is promoted when a demand read starts waiting on it, so prefetching never delays the
// reader it is meant to help. Queued tasks are not bounded here; callers bound them
// (read-ahead is dropped when too much of it is pending; demand is bounded by the caller).

interface Job {
  urgent: boolean;
  readonly start: () => void;
}

export interface SlotTask<T> {
  readonly result: Promise<T>;
  /** Moves the task ahead of every non-urgent task if it has not started yet. */
  promote(): void;
}

export class Slots {
  readonly limit: number;
  private active = 0;
  private readonly queue = new Set<Job>(); // insertion order = arrival order

  constructor(limit: number) {
    if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new RangeError(`slot limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.size;
  }

  run<T>(task: () => Promise<T>, urgent: boolean): SlotTask<T> {
    let job!: Job;
    const result = new Promise<T>((resolve, reject) => {
      job = {
        urgent,
        start: () => {
          this.active++;
          let settled: Promise<T>;
          try {
            settled = task();
          } catch (err) {
            settled = Promise.reject(err);
          }
          settled.then(resolve, reject).finally(() => {
            this.active--;
            this.pump();
          });
        },
      };
    });
    this.queue.add(job);
    this.pump();
    return {
      result,
      promote: () => {
        job.urgent = true;
      },
    };
  }

  private pump(): void {
    while (this.active < this.limit && this.queue.size > 0) {
      let next: Job | undefined;
      for (const job of this.queue) {
        if (job.urgent) {
          next = job;
          break;
        }
        next ??= job;
      }
      if (next === undefined) return;
      this.queue.delete(next);
      next.start();
    }
  }
}
