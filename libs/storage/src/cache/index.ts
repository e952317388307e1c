// Public surface of the block cache (re-exported by the package entry).

export { BlockCache } from './block-cache.ts';
export { BlockCacheError } from './errors.ts';
export type { BlockCacheErrorCode } from './errors.ts';
export { BlockCacheConfigError, DEFAULTS as BLOCK_CACHE_DEFAULTS } from './options.ts';
export type { BlockCacheConfig, BlockCacheErrorContext, BlockCacheOptions } from './options.ts';
export type { BlockCacheStats } from './stats.ts';
export { nodeCacheFs } from './cache-fs.ts';
export type { CacheFs } from './cache-fs.ts';
