// The election lease's holder id carries the holder's advertised gRPC address, so that a
// standby can tell brokers where the active controller is without a second key: the lease
// value ("<epoch> <holderId>", redis-lease.ts) names it atomically with the epoch, and it
// expires with the lease. Form: `<incarnation>@<host:port>` — the incarnation (name, pid,
// start time) keeps ids unique per process incarnation, as the lease requires, and the
// address comes last because the id holds no whitespace and addresses hold no '@'.

import { MAX_HOLDER_ID_CHARS } from '../lease/redis-lease.ts';

export function holderId(incarnation: string, advertisedAddress: string): string {
  if (!/^[^\s@]+$/.test(incarnation)) throw new RangeError(`controller incarnation must be non-empty without whitespace or '@', got ${JSON.stringify(incarnation)}`);
  if (!/^[^\s@]+:\d{1,5}$/.test(advertisedAddress)) throw new RangeError(`controller advertised address must be host:port, got ${JSON.stringify(advertisedAddress)}`);
  const id = `${incarnation}@${advertisedAddress}`;
  if (id.length > MAX_HOLDER_ID_CHARS) throw new RangeError(`controller holder id ${JSON.stringify(id)} is longer than ${MAX_HOLDER_ID_CHARS} characters: shorten the controller name`);
  return id;
}

/** The advertised address in a holder id made by holderId(); null for an id without one. */
export function advertisedAddressOf(id: string): string | null {
  const at = id.lastIndexOf('@');
  if (at < 0) return null;
  const address = id.slice(at + 1);
  return /^[^\s@]+:\d{1,5}$/.test(address) ? address : null;
}
