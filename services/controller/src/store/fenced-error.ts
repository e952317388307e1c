// The error of a metadata store whose controller was superseded: another controller won
// the election lease, so the controller epoch moved past the one this store writes with.
// Distinct from other store failures because the right reaction differs: a fenced
// controller steps down (stops answering as the controller) instead of restarting to
// recover, and nothing it decided after the new controller started may count.

import { MetadataStoreError } from './metadata-store.ts';

export class FencedError extends MetadataStoreError {
  readonly code = 'FENCED';
  /** The epoch this store writes with. */
  readonly writerEpoch: number;
  /** The controller epoch the store found. */
  readonly currentEpoch: number;

  constructor(writerEpoch: number, currentEpoch: number, where: string) {
    super(`metadata store ${where} is fenced: this controller writes with epoch ${writerEpoch}, but the controller epoch is now ${currentEpoch} (another controller took over)`);
    this.name = 'FencedError';
    this.writerEpoch = writerEpoch;
    this.currentEpoch = currentEpoch;
  }
}
