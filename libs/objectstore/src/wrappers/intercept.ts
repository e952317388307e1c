// The plumbing every wrapper shares: turns each ObjectStore call into one `Call` that a
// wrapper can observe, delay, re-run or cut short, and returns a store that routes all
// six calls through it. Wrappers then hold only their own concern. Not exported.

import type { ObjectStore } from '../object-store.ts';
import type { ObjectStoreOperation } from '../operations.ts';
import { bodyLength } from '../internal/body.ts';

export interface Call<T> {
  readonly operation: ObjectStoreOperation;
  /** The key (the prefix for list; undefined for deleteMany), for error messages. */
  readonly key: string | undefined;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
  /** Body bytes of a put; 0 otherwise. */
  readonly bytesOut: number;
  /** Whether a put carries ifNoneMatch or ifMatch. */
  readonly conditional: boolean;
  /** Runs the call on the inner store, with `signal` in place of the caller's when given. */
  run(signal?: AbortSignal): Promise<T>;
}

export type Around = <T>(call: Call<T>) => Promise<T>;

function withSignal<O extends { readonly signal?: AbortSignal }>(options: O | undefined, signal: AbortSignal | undefined): O | undefined {
  if (signal === undefined) return options;
  return { ...(options as O), signal };
}

export function intercept(inner: ObjectStore, around: Around): ObjectStore {
  return {
    url: inner.url,
    put: (key, body, options) =>
      around({
        operation: 'put',
        key,
        signal: options?.signal,
        bytesOut: bodyLength(body),
        conditional: options?.ifNoneMatch === true || options?.ifMatch !== undefined,
        run: (signal) => inner.put(key, body, withSignal(options, signal)),
      }),
    get: (key, range, options) =>
      around({ operation: 'get', key, signal: options?.signal, bytesOut: 0, conditional: false, run: (signal) => inner.get(key, range, withSignal(options, signal)) }),
    head: (key, options) =>
      around({ operation: 'head', key, signal: options?.signal, bytesOut: 0, conditional: false, run: (signal) => inner.head(key, withSignal(options, signal)) }),
    delete: (key, options) =>
      around({ operation: 'delete', key, signal: options?.signal, bytesOut: 0, conditional: false, run: (signal) => inner.delete(key, withSignal(options, signal)) }),
    deleteMany: (keys, options) =>
      around({
        operation: 'deleteMany',
        key: undefined,
        signal: options?.signal,
        bytesOut: 0,
        conditional: false,
        run: (signal) => inner.deleteMany(keys, withSignal(options, signal)),
      }),
    list: (prefix, options) =>
      around({ operation: 'list', key: prefix, signal: options?.signal, bytesOut: 0, conditional: false, run: (signal) => inner.list(prefix, withSignal(options, signal)) }),
    close: () => inner.close(),
  };
}
