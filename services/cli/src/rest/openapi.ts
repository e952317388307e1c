// The OpenAPI 3.1 document of the admin API, built from the routes themselves: every route
// is an operation, its path parameters and request body schemas are the zod schemas the
// server validates with, turned into JSON Schema by zod (z.toJSONSchema, input side: what
// a client may send, defaults optional); each answer's schema is its route's response schema
// (responses.ts, output side). Errors share one Problem schema (RFC 9457).

import { z } from 'zod';
import { API_PREFIX } from './constants.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemType } from './problem.ts';
import type { ProblemKind } from './problem.ts';
import { isWrite } from './route.ts';
import type { Route } from './route.ts';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function jsonSchemaOut(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const capitalized = (r: Route): string => `${r.operationId.charAt(0).toUpperCase()}${r.operationId.slice(1)}`;
const schemaName = (r: Route): string => `${capitalized(r)}Request`;
const responseName = (r: Route): string => `${capitalized(r)}Response`;

const problemRef = (kind: ProblemKind) => ({ $ref: `#/components/responses/${kind}` });

/** The problems a route can answer, by status. */
function problemResponses(r: Route): Record<string, unknown> {
  const kinds: ProblemKind[] = [];
  const hasParams = Object.keys(r.params).length > 0;
  if (r.body !== undefined || hasParams) kinds.push('bad-request');
  if (isWrite(r)) kinds.push('unauthorized', 'read-only');
  if (hasParams || r.operationId === 'getRebalance') kinds.push('not-found');
  if (r.body !== undefined) kinds.push('conflict', 'payload-too-large', 'unsupported-media-type');
  kinds.push('internal-error');
  if (r.standby !== true) kinds.push('not-active-controller');
  kinds.push('timeout');
  const out: Record<string, unknown> = {};
  for (const k of kinds) out[String(PROBLEMS[k].status)] ??= problemRef(k);
  return out;
}

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details',
      properties: {
        type: { type: 'string', description: 'urn:stratus:problem:<kind>', examples: [problemType('read-only')] },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string', description: 'What happened and what to do' },
        errors: { type: 'array', description: 'Each invalid field', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] } },
        kafkaError: { type: 'string', description: 'The Kafka error the controller answered, e.g. TOPIC_ALREADY_EXISTS' },
        activeController: { type: ['string', 'null'], description: 'On a standby: the active controller\'s gRPC address' },
      },
      required: ['type', 'title', 'status', 'detail'],
    },
  };
  for (const r of routes) {
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description !== undefined ? { description: r.description } : {}),
      tags: [r.path.slice(API_PREFIX.length + 1).split('/')[0]],
      security: isWrite(r) ? [{ bearerAuth: [] }] : [],
    };
    const params = Object.entries(r.params);
    if (params.length > 0) op['parameters'] = params.map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema) }));
    if (r.body !== undefined) {
      schemas[schemaName(r)] = jsonSchema(r.body);
      op['requestBody'] = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(r)}` } } } };
    }
    schemas[responseName(r)] = jsonSchemaOut(r.response);
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.responses)) responses[status] = { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${responseName(r)}` } } } };
    op['responses'] = { ...responses, ...problemResponses(r) };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  const responses: Record<string, unknown> = {};
  for (const [kind, p] of Object.entries(PROBLEMS)) responses[kind] = { description: `${p.title} (${problemType(kind as ProblemKind)})`, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stratus admin API',
      version: 'v1',
      description:
        'Served by the controller on its HTTP port (stratus dev: the same port as /metrics). Reads need nothing; every write needs Authorization: Bearer <admin.apiToken>, and without a configured token the API is read-only. ' +
        'A standby controller serves only health and this document; everything else answers 503 naming the active controller. Errors are application/problem+json.',
    },
    paths,
    components: { schemas, responses, securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'admin.apiToken (STRATUS_ADMIN_API_TOKEN)' } } },
  };
}
