// The admin REST API's fixed limits, in one place. Limits an operator may want to change
// are config keys instead (admin.* in config/schema.ts).

/** Every route lives under this prefix; the HTTP port hands anything below it to the API. */
export const API_PREFIX = '/api/v1';

/** Most moves one rebalance request may name. */
export const MAX_REBALANCE_MOVES = 10_000;
/** A rebalance's bound on its own moves under way when the request names none, and the largest it may name. */
export const DEFAULT_REBALANCE_CONCURRENCY = 4;
export const MAX_REBALANCE_CONCURRENCY = 1_000;
/** How long a rebalance keeps on before it gives up the moves it has not finished, by default and at most. */
export const DEFAULT_REBALANCE_TIMEOUT_MS = 10 * 60_000;
export const MAX_REBALANCE_TIMEOUT_MS = 24 * 60 * 60_000;
/** How often a rebalance looks at the metadata for moves that finished. */
export const REBALANCE_POLL_MS = 100;

/** Most partitions one reset names explicitly. */
export const MAX_RESET_PARTITIONS = 100_000;
/** Extents read per page when looking for the first offset at or after a timestamp. */
export const TIMESTAMP_SCAN_PAGE = 1_000;
/** Topic configs one PATCH may change. */
export const MAX_CONFIG_CHANGES = 1_000;
