// A real redis-server for tests and scripts under test/ (the cluster, chaos): the one in
// @stratus/controller/testing, where the controller's own tests can import it too.

export { RedisServer } from '@stratus/controller/testing';
export type { RedisServerOptions } from '@stratus/controller/testing';
