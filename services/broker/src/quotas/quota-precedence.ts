// Which quota applies to a (user, client-id) pair, and which clients share it: Kafka's
// DefaultQuotaCallback (ClientQuotaManager). The most specific entity holding the key wins:
//
//   /users/<user>/clients/<client-id>      /users/<default>/clients/<client-id>
//   /users/<user>/clients/<default>        /users/<default>/clients/<default>
//   /users/<user>                          /users/<default>
//                                          /clients/<client-id>
//                                          /clients/<default>
//
// (left column first, top to bottom). The entity found also names the sensor the request is
// counted in, as Kafka's metric tags do: a /users/<user> quota is shared by every client of
// that user (tags user, ""), a /clients/<default> quota is per client id (tags "", client),
// a user-and-client quota per pair. Each quota key (producer_byte_rate, ...) is resolved on
// its own: an entity that sets only one key is invisible to the others.

import type { ClientQuotaEntry } from '@stratus/controller';

/** A resolved quota: the bound and the sensor's tags (user, client-id; "" when not part of it). */
export interface ResolvedQuota {
  readonly bound: number;
  readonly user: string;
  readonly clientId: string;
}

const DEFAULT = '\u0001';

function part(name: string | null | undefined): string {
  if (name === undefined) return '';
  return name === null ? DEFAULT : `=${name}`;
}

function slot(user: string, client: string): string {
  return `${user}\u0000${client}`;
}

/** The quotas of one key, by entity: built once per metadata change, read per request. */
export class QuotaPrecedence {
  private readonly bounds = new Map<string, number>();

  constructor(entries: readonly ClientQuotaEntry[], key: string) {
    for (const e of entries) {
      const value = e.values[key];
      if (value === undefined) continue;
      let user: string | null | undefined;
      let client: string | null | undefined;
      let other = false;
      for (const p of e.entity) {
        if (p.entityType === 'user') user = p.entityName;
        else if (p.entityType === 'client-id') client = p.entityName;
        else other = true;
      }
      if (other || (user === undefined && client === undefined)) continue;
      this.bounds.set(slot(part(user), part(client)), value);
    }
  }

  get empty(): boolean {
    return this.bounds.size === 0;
  }

  /** The quota for a request of `user` (the principal's name) with `clientId`, or undefined: unlimited. */
  resolve(user: string, clientId: string): ResolvedQuota | undefined {
    if (this.bounds.size === 0) return undefined;
    const u = `=${user}`;
    const c = `=${clientId}`;
    const has = (a: string, b: string): boolean => this.bounds.has(slot(a, b));
    // Kafka's quotaMetricTags: which sensor, by the first level holding a quota.
    let tags: [string, string];
    if (has(u, c) || has(u, DEFAULT)) tags = [user, clientId];
    else if (has(u, '')) tags = [user, ''];
    else if (has(DEFAULT, c) || has(DEFAULT, DEFAULT)) tags = [user, clientId];
    else if (has(DEFAULT, '')) tags = [user, ''];
    else tags = ['', clientId];
    const bound = this.limit(tags[0], tags[1]);
    return bound === undefined ? undefined : { bound, user: tags[0], clientId: tags[1] };
  }

  /** Kafka's quotaLimit for the tags: the chain of the sensor's level. */
  private limit(user: string, clientId: string): number | undefined {
    const u = `=${user}`;
    const c = `=${clientId}`;
    const chain: [string, string][] =
      user !== '' && clientId !== ''
        ? [
            [u, c],
            [u, DEFAULT],
            [DEFAULT, c],
            [DEFAULT, DEFAULT],
          ]
        : user !== ''
          ? [
              [u, ''],
              [DEFAULT, ''],
            ]
          : clientId !== ''
            ? [
                ['', c],
                ['', DEFAULT],
              ]
            : [];
    for (const [a, b] of chain) {
      const v = this.bounds.get(slot(a, b));
      if (v !== undefined) return v;
    }
    return undefined;
  }
}
