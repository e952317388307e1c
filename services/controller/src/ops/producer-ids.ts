// Producer-id blocks: consecutive ranges handed out once. The next free id is part of the
// persisted state and a block is answered only after its record is durable, so no id is
// handed out twice, even across a crash.

import type { ProducerIdBlock } from '../controller-api.ts';
import type { DecideContext, Tx } from './tx.ts';

export function decideAllocateProducerIds(tx: Tx, ctx: DecideContext, size: number): ProducerIdBlock {
  const max = ctx.options.maxProducerIdBlockSize;
  if (!Number.isSafeInteger(size) || size < 1 || size > max) throw new RangeError(`allocateProducerIds: size must be an integer from 1 to ${max} (maxProducerIdBlockSize), got ${size}`);
  const firstProducerId = tx.state.nextProducerId;
  if (firstProducerId + size > Number.MAX_SAFE_INTEGER) throw new RangeError('allocateProducerIds: producer ids are exhausted');
  tx.emit({ type: 'ProducerIdsAllocated', firstProducerId, size });
  return { firstProducerId, size };
}
