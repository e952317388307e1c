// What a route of the admin REST API is: method, path template (OpenAPI's /topics/{topic}),
// the zod schemas of its path parameters and body, what it answers, and its handler. The
// router (router.ts), the request handling (admin-api.ts) and the OpenAPI document
// (openapi.ts) all read the same route list, so a route cannot be served undocumented.

import type { Controller } from '@stratus/controller';
import type { z } from 'zod';
import type { RebalanceRunner } from './rebalance-runner.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Who this process is, as the API reports it. */
export interface ControllerRoleView {
  /** 'active' serves everything; any other role (standby, activating, stopping) serves only routes marked `standby`. */
  readonly role: string;
  /** The active controller's gRPC address as last seen (null: unknown, or embedded in `stratus dev`). */
  readonly activeController: string | null;
}

/** What handlers get besides the request. */
export interface AdminContext {
  /** The active Controller; throws the not-active-controller problem on a standby. */
  controller(): Controller;
  role(): ControllerRoleView;
  readonly rebalances: RebalanceRunner;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteRequest<P, B> {
  readonly params: P;
  readonly body: B;
  readonly ctx: AdminContext;
}

type Schemas = Readonly<Record<string, z.ZodType>>;
type Parsed<S extends Schemas> = { readonly [K in keyof S]: z.output<S[K]> };

export interface Route<P extends Schemas = Schemas, B extends z.ZodType | undefined = z.ZodType | undefined> {
  readonly method: HttpMethod;
  /** Under API_PREFIX, with {name} for each path parameter. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly params: P;
  readonly body: B;
  /** Success statuses and what they mean. */
  readonly responses: Readonly<Record<number, string>>;
  /** The success answer's body (responses.ts): documented, and checked against real answers by the cluster test. */
  readonly response: z.ZodType;
  /** Served by a standby controller too (it has no metadata of its own). */
  readonly standby?: boolean;
  readonly handle: (req: RouteRequest<Parsed<P>, B extends z.ZodType ? z.output<B> : undefined>) => Promise<Reply>;
}

/** A route with its types checked; `write` is implied by the method (anything but GET needs the token). */
export function route<P extends Schemas, B extends z.ZodType | undefined>(r: Route<P, B>): Route {
  return r as unknown as Route;
}

export const isWrite = (r: Pick<Route, 'method'>): boolean => r.method !== 'GET';

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, ...(headers !== undefined ? { headers } : {}) });
