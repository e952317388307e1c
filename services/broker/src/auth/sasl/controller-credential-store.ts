// SCRAM credentials from the controller, where AlterUserScramCredentials stores them
// (kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]'). Credentials are
// not pushed to brokers with the metadata — every broker would hold every user's keys and
// every change would go to all of them — but asked for when a client authenticates, and
// cached here:
//  - bounded: at most maxEntries users × mechanisms (least recently used dropped first),
//    unknown users included, so a client probing names can neither grow the cache nor make
//    each attempt a controller call for long; names longer than maxCachedNameChars are
//    looked up every time and never cached, so the entries' keys stay small too (the SASL
//    fuzz test found unknown names of 100 KB and more, sent before authentication, each
//    kept here: 10,000 of them would have been gigabytes);
//  - invalidated on change: the metadata watch carries the controller's SCRAM version, which
//    moves with every change; when it does the whole cache is dropped, so a new or changed
//    password and a removed credential count for the next authentication (the broker that
//    served the change has its metadata at that version before it answers);
//  - expiring: an entry is asked for again after ttlMs anyway (a watch that lags); while
//    the controller cannot answer (a failover), an expired entry is used rather than
//    failing the login — it was current as of the last SCRAM version this broker saw.
// Users configured on the broker (sasl.adminUser, sasl.users) come first: the bootstrap
// store's credential for a name wins over the controller's, so the configured admin cannot
// be locked out or taken over through AlterUserScramCredentials.

import type { ControllerApi, KnownScramMechanismCode, ScramCredentialRecord } from '@stratus/controller';
import { ScramMechanismCode } from '@stratus/controller';
import type { CredentialStore } from './credential-store.ts';
import { SCRAM_SHA_256 } from './mechanisms.ts';
import type { ScramMechanism } from './mechanisms.ts';
import type { ScramCredential } from './scram.ts';

/** Defaults: enough for every active user of a large cluster; short enough that a lagging watch heals soon. */
export const CONTROLLER_CREDENTIALS_DEFAULTS = { maxEntries: 10_000, ttlMs: 60_000, maxCachedNameChars: 1_024 } as const;

export interface ControllerCredentialStoreOptions {
  readonly controller: Pick<ControllerApi, 'scramCredential' | 'metadata' | 'watch'>;
  /** Credentials configured on the broker; they win over the controller's for the same user. */
  readonly bootstrap?: CredentialStore;
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  /** Longer user names are not cached (each lookup asks the controller). */
  readonly maxCachedNameChars?: number;
  /** Monotonic milliseconds. */
  readonly nowMs: () => number;
}

interface Entry {
  readonly credential: ScramCredential | undefined;
  readonly atMs: number;
}

export class ControllerCredentialStore implements CredentialStore {
  private readonly cache = new Map<string, Entry>();
  /** Lookups under way, so concurrent authentications of one user make one controller call. */
  private readonly pending = new Map<string, Promise<ScramCredential | undefined>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly maxCachedNameChars: number;
  private scramVersion: number | undefined;
  /** Bumped with every invalidation: a lookup that started before one is not cached. */
  private generation = 0;
  private readonly unwatch: () => void;
  private readonly o: ControllerCredentialStoreOptions;

  constructor(o: ControllerCredentialStoreOptions) {
    this.o = o;
    this.maxEntries = o.maxEntries ?? CONTROLLER_CREDENTIALS_DEFAULTS.maxEntries;
    this.ttlMs = o.ttlMs ?? CONTROLLER_CREDENTIALS_DEFAULTS.ttlMs;
    this.maxCachedNameChars = o.maxCachedNameChars ?? CONTROLLER_CREDENTIALS_DEFAULTS.maxCachedNameChars;
    if (!(this.maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1 (got ${this.maxEntries})`);
    this.scramVersion = o.controller.metadata().scramVersion;
    this.unwatch = o.controller.watch((md) => {
      if (md.scramVersion !== this.scramVersion) {
        this.scramVersion = md.scramVersion;
        this.invalidate();
      }
    });
  }

  /** Cached entries (tests, metrics). */
  get size(): number {
    return this.cache.size;
  }

  /** Forgets every cached credential. */
  invalidate(): void {
    this.cache.clear();
    this.pending.clear();
    this.generation++;
  }

  close(): void {
    this.unwatch();
    this.invalidate();
  }

  async scramCredential(user: string, mechanism: ScramMechanism): Promise<ScramCredential | undefined> {
    const configured = await this.o.bootstrap?.scramCredential(user, mechanism);
    if (configured !== undefined) return configured;
    const key = `${mechanism}\u0000${user}`;
    const now = this.o.nowMs();
    const hit = this.cache.get(key);
    if (hit !== undefined && now - hit.atMs < this.ttlMs) {
      // Most recently used last: the Map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.credential;
    }
    const under = this.pending.get(key);
    if (under !== undefined) return under;
    const generation = this.generation;
    const lookup = this.o.controller
      .scramCredential(user, codeOf(mechanism))
      .then(
        (stored) => {
          const credential = stored === undefined ? undefined : toCredential(stored);
          if (generation === this.generation && user.length <= this.maxCachedNameChars) this.remember(key, { credential, atMs: this.o.nowMs() });
          return credential;
        },
        (e: unknown) => {
          const stale = generation === this.generation ? this.cache.get(key) : undefined;
          if (stale === undefined) throw e;
          return stale.credential;
        },
      )
      .finally(() => {
        if (this.pending.get(key) === lookup) this.pending.delete(key);
      });
    this.pending.set(key, lookup);
    return lookup;
  }

  private remember(key: string, entry: Entry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}

function codeOf(mechanism: ScramMechanism): KnownScramMechanismCode {
  return mechanism === SCRAM_SHA_256 ? ScramMechanismCode.SCRAM_SHA_256 : ScramMechanismCode.SCRAM_SHA_512;
}

function toCredential(c: ScramCredentialRecord): ScramCredential {
  return { salt: c.salt, iterations: c.iterations, storedKey: c.storedKey, serverKey: c.serverKey };
}
