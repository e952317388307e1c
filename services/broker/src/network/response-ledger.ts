// One connection's part of the response-byte budget shared by all connections: what its
// answers hold, from a handler's reservation (before a Fetch reads) until the kernel has
// taken an answer's last byte. Without it, pipelined fetches (or many connections
// fetching at once) could build any number of large answers in memory.
//
// What is charged:
// - A reservation a handler makes before building a large answer. Fetch reserves what
//   its partitions could return — PartitionMaxBytes of each partition with data, at most
//   MaxBytes: one comparison per partition, nothing per record.
// - Every answer, by its real size, from the moment it is written to the socket until
//   the kernel has taken it (its write callback). The reservation turns into this charge
//   then, so an answer larger than reserved (KIP-74's first batch) is counted as it is.
//
// A request reserves only at its turn: when every earlier request on its connection has
// been answered. Its answer is written the moment it exists, so it never waits in memory
// behind a slow request; pipelined fetches read one after another. Their answers leave
// in order anyway, so only the overlap of reads is lost, and clients send one fetch at
// a time per connection. The turn rule is also what makes the budget deadlock-free: a
// waiting reservation never waits for bytes that themselves wait for it. What holds the
// budget is a read in progress (milliseconds) or bytes a client is reading; a client
// that stops reading is closed after responseStallTimeoutMs (send-stall.ts).
//
// Per connection, a reservation also waits while the connection's unread answers exceed
// socketWriteHighWaterBytes (fitsBudget: with nothing unread, any size), so one slow
// reader cannot take the shared budget with pipelined fetches.
//
// Shared admission is fair by size, as for request bytes (budgets.ts): a reserve is kept
// for small reservations and answers, so clients that leave large answers unread until
// the stall timeout closes them cannot hold up a consumer fetching one partition. Each
// request holds one piece at a time, acquired and released whole (growing gives the old
// piece back first), so the size class of every holding stays right.
//
// Trade-off: answers of other APIs waiting behind a slow request are not charged (they
// are small — produce acks, metadata — and bounded per connection by the in-flight
// request limit); charging them would let them block the reservation of the request
// they wait for.

import type { ResponseAllowance } from '../handler.ts';
import type { BudgetWaiter, FairByteBudget } from './budgets.ts';
import { fitsBudget } from './budgets.ts';

interface Want {
  readonly bytes: number;
  readonly resolve: (held: boolean) => void;
}

/** One request's allowance, handed to dispatch. */
export class ResponseTicket implements ResponseAllowance {
  heldBytes = 0;
  /** A reservation waiting for the turn, the connection's share or the shared budget. */
  want: Want | undefined;
  waiter: BudgetWaiter | undefined;
  /** Answered or abandoned: reservations resolve false and hold nothing. */
  done = false;
  private readonly ledger: ResponseLedger;

  constructor(ledger: ResponseLedger) {
    this.ledger = ledger;
  }

  reserve(bytes: number): Promise<boolean> {
    return this.ledger.reserve(this, bytes);
  }

  trim(bytes: number): void {
    this.ledger.trim(this, bytes);
  }
}

const HELD = Promise.resolve(true);
const NOT_HELD = Promise.resolve(false);

export class ResponseLedger {
  private readonly budget: FairByteBudget;
  private readonly highWaterBytes: number;
  /** The request whose turn it is: every earlier one on the connection has been answered. */
  private turn: ResponseTicket | undefined;
  /** Sizes of answers written and not yet taken by the kernel, oldest first. */
  private readonly unsent: number[] = [];
  private unsentTotal = 0;
  private closed = false;

  constructor(budget: FairByteBudget, highWaterBytes: number) {
    this.budget = budget;
    this.highWaterBytes = highWaterBytes;
  }

  /** Answer bytes in the socket's buffers that the kernel has not taken yet. */
  get unsentBytes(): number {
    return this.unsentTotal;
  }

  /** A ticket for a new request; `first` when nothing earlier on the connection is unanswered. */
  ticket(first: boolean): ResponseTicket {
    const ticket = new ResponseTicket(this);
    if (first) this.turn = ticket;
    return ticket;
  }

  /** Every request before `ticket` has been answered. */
  setTurn(ticket: ResponseTicket): void {
    if (this.turn === ticket) return;
    this.turn = ticket;
    this.admit(ticket);
  }

  reserve(ticket: ResponseTicket, bytes: number): Promise<boolean> {
    if (ticket.done || this.closed) return NOT_HELD;
    if (bytes <= ticket.heldBytes) return HELD;
    if (ticket.want !== undefined) throw new Error('ResponseAllowance.reserve called again before the last one resolved');
    // One piece at a time: give the smaller one back, then wait for the whole new one.
    this.dropHeld(ticket);
    return new Promise<boolean>((resolve) => {
      ticket.want = { bytes, resolve };
      this.admit(ticket);
    });
  }

  trim(ticket: ResponseTicket, bytes: number): void {
    const keep = Math.max(0, bytes);
    if (keep >= ticket.heldBytes) return;
    // The kept piece is taken before the old one goes back, so nobody slips in between.
    const old = ticket.heldBytes;
    if (keep > 0) this.budget.charge(keep);
    ticket.heldBytes = keep;
    this.budget.release(old);
  }

  /**
   * The answer (`bytes`, 0 for none) is being written: charge it until the kernel takes
   * it, and give back what the request reserved. True when the caller must pass
   * `onTaken` as the write callback of the answer's last chunk.
   */
  written(ticket: ResponseTicket, bytes: number): boolean {
    // Charge first, so a reservation granted by the release below sees the charge.
    if (bytes > 0) {
      this.budget.charge(bytes);
      this.unsent.push(bytes);
      this.unsentTotal += bytes;
    }
    this.finish(ticket);
    return bytes > 0;
  }

  /** The write callback of an answer's last chunk (in write order, so the oldest is done). */
  readonly onTaken = (): void => {
    if (this.closed) return;
    const bytes = this.unsent.shift() ?? 0;
    this.unsentTotal -= bytes;
    this.budget.release(bytes);
    // The connection's share may have room now.
    if (this.turn !== undefined) this.admit(this.turn);
  };

  /** The request will not be answered (its connection is closing). */
  abandon(ticket: ResponseTicket): void {
    this.finish(ticket);
  }

  /** The connection closed: everything it held goes back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.turn !== undefined) this.finish(this.turn);
    this.budget.release(this.unsentTotal);
    this.unsent.length = 0;
    this.unsentTotal = 0;
  }

  private admit(ticket: ResponseTicket): void {
    const want = ticket.want;
    if (want === undefined || ticket.waiter !== undefined || this.turn !== ticket || ticket.done) return;
    // The connection's share first: its unread answers.
    if (!fitsBudget(this.unsentTotal, want.bytes, this.highWaterBytes)) return;
    if (this.budget.tryAcquire(want.bytes)) {
      this.granted(ticket, want.bytes);
      return;
    }
    const waiter: BudgetWaiter = {
      bytes: want.bytes,
      grant: () => {
        ticket.waiter = undefined;
        this.granted(ticket, want.bytes);
      },
    };
    ticket.waiter = waiter;
    this.budget.wait(waiter);
  }

  private granted(ticket: ResponseTicket, bytes: number): void {
    ticket.heldBytes = bytes;
    const want = ticket.want!;
    ticket.want = undefined;
    want.resolve(true);
  }

  private finish(ticket: ResponseTicket): void {
    if (ticket.done) return;
    ticket.done = true;
    if (ticket.waiter !== undefined) {
      this.budget.cancel(ticket.waiter);
      ticket.waiter = undefined;
    }
    if (ticket.want !== undefined) {
      const want = ticket.want;
      ticket.want = undefined;
      want.resolve(false);
    }
    this.dropHeld(ticket);
    if (this.turn === ticket) this.turn = undefined;
  }

  private dropHeld(ticket: ResponseTicket): void {
    if (ticket.heldBytes === 0) return;
    const held = ticket.heldBytes;
    ticket.heldBytes = 0;
    this.budget.release(held);
  }
}
