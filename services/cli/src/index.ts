// Public entry of @stratus/cli for code outside the package (tests): the admin REST API's
// routes, with the schemas of their bodies and answers; the health probes' event-loop bound.
// The command itself is main.ts.

export { createAdminApi } from './rest/admin-api.ts';
export type { AdminApi, AdminApiOptions } from './rest/admin-api.ts';
export type { Route } from './rest/route.ts';
export { EVENT_LOOP_STALL_MS } from './health/event-loop-stall.ts';
