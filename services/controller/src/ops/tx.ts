// What a decide function works with: the controller's decided state and a way to emit
// records. emit() applies the record to that state at once, so a later decision in the
// same call (the second topic of a CreateTopics, the next extent of a commit) sees the
// earlier one; the controller then persists every emitted record before answering.
//
// Decide functions are synchronous and do no I/O: nothing can interleave between a
// decision and its records, and the order of decisions is the order of the journal.

import type { Clock, Random } from '@stratus/runtime';
import { applyRecord } from '../state/apply.ts';
import type { MetadataRecord } from '../state/records.ts';
import type { ControllerState } from '../state/state.ts';
import type { ResolvedControllerOptions } from '../options.ts';

export class Tx {
  readonly state: ControllerState;
  readonly records: MetadataRecord[] = [];

  constructor(state: ControllerState) {
    this.state = state;
  }

  emit(record: MetadataRecord): void {
    applyRecord(this.state, record);
    this.records.push(record);
  }
}

export interface DecideContext {
  readonly clock: Clock;
  readonly random: Random;
  readonly options: ResolvedControllerOptions;
}

/** Records carry bounded lists so no single record outgrows a journal entry. */
export const MAX_ITEMS_PER_RECORD = 1000;

export function chunks<T>(items: readonly T[], size = MAX_ITEMS_PER_RECORD): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
