// The admin REST API's request handling: the HTTP port (http.ts) hands it every request
// under /api/v1/. In order: route (404, 405), the token for writes (403 read-only when no
// token is configured, 401 when it is missing or wrong — checked before the body is read,
// so an unauthenticated client cannot make the server read or parse anything), the
// controller's role (503 on a standby for routes that need the metadata), path parameters
// and body against the route's zod schemas (400 naming each field, 413 over
// admin.maxBodyBytes, 415 when not JSON), then the handler; a request not answered within
// admin.requestTimeout gets 504. Answers are JSON; errors problem+json (problem.ts).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControllerClosedError, ControllerFailedError } from '@stratus/controller';
import type { Controller } from '@stratus/controller';
import type { z } from 'zod';
import { bearerToken, tokenMatches } from './auth.ts';
import { clusterRoutes } from './cluster-routes.ts';
import { API_PREFIX } from './constants.ts';
import { groupRoutes } from './group-routes.ts';
import { openApiDocument } from './openapi.ts';
import { ApiProblem, sendProblem } from './problem.ts';
import { rebalanceRoutes } from './rebalance-routes.ts';
import { openApiResponse } from './responses.ts';
import { RebalanceRunner } from './rebalance-runner.ts';
import { isWrite, json, route } from './route.ts';
import type { AdminContext, ControllerRoleView, Reply, Route } from './route.ts';
import { Router } from './router.ts';
import { topicRoutes } from './topic-routes.ts';

export interface AdminApiOptions {
  /** The active Controller; undefined while this process is a standby (or activating, or stopping). */
  readonly controller: () => Controller | undefined;
  readonly role: () => ControllerRoleView;
  /** admin.apiToken; undefined: read-only. */
  readonly apiToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** An unexpected failure (answered 500). */
  readonly onError?: (error: unknown, context: string) => void;
}

export interface AdminApi {
  readonly prefix: string;
  readonly routes: readonly Route[];
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Ends a running rebalance (the process stops). */
  close(): void;
}

const openApiRoute = (document: () => unknown): Route =>
  route({
    method: 'GET',
    path: `${API_PREFIX}/openapi.json`,
    operationId: 'getOpenApi',
    response: openApiResponse,
    summary: 'This OpenAPI 3.1 document',
    params: {},
    body: undefined,
    responses: { 200: 'The document' },
    standby: true,
    handle: async () => json(200, document()),
  });

export function createAdminApi(o: AdminApiOptions): AdminApi {
  let document: unknown;
  const routes: Route[] = [...clusterRoutes, ...topicRoutes, ...groupRoutes, ...rebalanceRoutes, openApiRoute(() => (document ??= openApiDocument(routes)))];
  const router = new Router(routes);
  const rebalances = new RebalanceRunner(o.controller);
  const ctx: AdminContext = {
    controller: () => {
      const c = o.controller();
      if (c === undefined) throw notActive(o.role());
      return c;
    },
    role: o.role,
    rebalances,
  };

  async function serve(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (match === null) throw new ApiProblem('not-found', `no such endpoint: ${url.pathname} (GET ${API_PREFIX}/openapi.json lists them)`);
    if (!('route' in match)) throw new ApiProblem('method-not-allowed', `${url.pathname} takes ${match.allowed.join(', ')}`, {}, { allow: match.allowed.join(', ') });
    const r = match.route;
    if (isWrite(r)) authorize(req, o.apiToken);
    if (r.standby !== true && o.controller() === undefined) throw notActive(o.role());
    const params = parseParams(r, match.params);
    const body = r.body === undefined ? undefined : validate(r.body, await readJson(req, o.maxBodyBytes), 'body');
    return r.handle({ params, body, ctx });
  }

  return {
    prefix: API_PREFIX,
    routes,
    handle(req, res) {
      const timer = setTimeout(() => {
        sendProblem(res, new ApiProblem('timeout', `not answered within ${o.requestTimeoutMs} ms (admin.requestTimeout); an operation it started may still complete: read the state again`, {}, { connection: 'close' }));
      }, o.requestTimeoutMs);
      timer.unref();
      res.once('close', () => clearTimeout(timer));
      serve(req).then(
        (reply) => {
          if (res.headersSent) return;
          const text = JSON.stringify(reply.body);
          res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
        },
        (e: unknown) => sendProblem(res, asProblem(e, req, o.onError)),
      );
    },
    close: () => rebalances.close(),
  };
}

function notActive(role: ControllerRoleView): ApiProblem {
  const where = role.activeController !== null ? `the active controller is at ${role.activeController} (its gRPC address; send the request to that controller's HTTP port)` : 'no active controller is known yet: retry shortly';
  return new ApiProblem('not-active-controller', `this controller is ${role.role}: ${where}`, { role: role.role, activeController: role.activeController }, { 'retry-after': '1' });
}

function authorize(req: IncomingMessage, configured: string | undefined): void {
  if (configured === undefined) {
    throw new ApiProblem('read-only', 'writes are disabled because no token is configured: set admin.apiToken (or STRATUS_ADMIN_API_TOKEN) on the controller and send Authorization: Bearer <token>');
  }
  const challenge = { 'www-authenticate': 'Bearer realm="stratus-admin"' };
  const given = bearerToken(req.headers.authorization);
  if (given === undefined) throw new ApiProblem('unauthorized', 'a write needs Authorization: Bearer <admin.apiToken>', {}, challenge);
  if (!tokenMatches(given, configured)) throw new ApiProblem('unauthorized', 'the bearer token is not the configured admin.apiToken', {}, { 'www-authenticate': 'Bearer realm="stratus-admin", error="invalid_token"' });
}

function parseParams(r: Route, raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(r.params)) out[name] = validate(schema, raw[name], name);
  return out;
}

/** `value` parsed by `schema`, or a 400 naming every invalid field (`where` is the body or the parameter). */
function validate(schema: z.ZodType, value: unknown, where: string): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => {
    const path = [where === 'body' ? '' : where, ...i.path.map(String)].filter((s) => s !== '').join('.');
    const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return { path: path === '' ? '(body)' : path, message: `${i.message}${keys}` };
  });
  throw new ApiProblem('bad-request', `invalid ${where === 'body' ? 'request body' : `path parameter ${where}`}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

/** The request body as JSON, at most maxBytes; what is over the limit is read and dropped so the 413 reaches the client. */
function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const tooLarge = (): ApiProblem => new ApiProblem('payload-too-large', `the body is larger than ${maxBytes} bytes (admin.maxBodyBytes)`, {}, { connection: 'close' });
  if (type !== 'application/json') {
    req.resume();
    return Promise.reject(new ApiProblem('unsupported-media-type', `send the body as JSON with Content-Type: application/json${type === '' ? '' : ` (got ${type})`}`));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        if (!over) reject(tooLarge());
        over = true;
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (over) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(new ApiProblem('bad-request', 'the request needs a JSON body', { errors: [{ path: '(body)', message: 'missing' }] }));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new ApiProblem('bad-request', `the body is not valid JSON: ${(e as Error).message}`, { errors: [{ path: '(body)', message: 'not JSON' }] }));
      }
    });
  });
}

function asProblem(e: unknown, req: IncomingMessage, onError: AdminApiOptions['onError']): ApiProblem {
  if (e instanceof ApiProblem) return e;
  if (e instanceof ControllerClosedError || e instanceof ControllerFailedError) return new ApiProblem('unavailable', `the controller is not serving: ${(e as Error).message}`, {}, { 'retry-after': '1' });
  // The controller's own argument checks (RangeError) are the client's mistake.
  if (e instanceof RangeError) return new ApiProblem('bad-request', e.message);
  onError?.(e, `${req.method} ${req.url}`);
  return new ApiProblem('internal-error', `the request failed: ${(e as Error)?.message ?? String(e)}`);
}
