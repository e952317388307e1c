// Public entry of @stratus/controller/testing: what tests of the controller and of the
// cluster need beyond the package's API — a real redis-server per test.

export { RedisServer, freePort } from './redis-server.ts';
export type { RedisServerOptions } from './redis-server.ts';
