// The admin API's OpenAPI document against the routes the server serves: every route is
// an operation of the document with its path parameters, its request body schema is the
// JSON Schema of the very zod schema the server validates with, each answer's schema is its
// route's response schema (which the cluster test checks real answers with), writes (and only writes)
// need the bearer token, and the document names no operation the router does not serve.
// The document passes openapi-spec-validator (PyPI; test/peers/openapi-spec-validator.sh),
// which checks it against the OpenAPI 3.1 specification's own schemas. The live document is
// fetched from real processes in test/cluster/admin-rest.test.ts.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminApi } from '../src/rest/admin-api.ts';
import { API_PREFIX } from '../src/rest/constants.ts';
import { openApiDocument } from '../src/rest/openapi.ts';
import { Router } from '../src/rest/router.ts';

const api = createAdminApi({ controller: () => undefined, role: () => ({ role: 'standby', activeController: null }), apiToken: undefined, maxBodyBytes: 1024, requestTimeoutMs: 1000 });
type Operation = { operationId: string; parameters?: { name: string; in: string; required: boolean }[]; requestBody?: { content: Record<string, { schema: { $ref: string } }> }; security: unknown[]; responses: Record<string, unknown> };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
const doc = openApiDocument(api.routes) as unknown as Doc;

describe('admin API OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by openapi-spec-validator', () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const validator = execFileSync('bash', [join(root, 'test', 'peers', 'openapi-spec-validator.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'stratus-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const run = spawnSync(validator, [file], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toContain(`${file}: OK`);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is OpenAPI 3.1 and has one operation per route, with the route\'s path parameters', () => {
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set(api.routes.map((r) => `${r.method.toLowerCase()} ${r.path}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
    expect([...documented].sort()).toEqual([...served].sort());
    for (const r of api.routes) {
      const op = doc.paths[r.path]![r.method.toLowerCase()]!;
      expect(op.operationId).toBe(r.operationId);
      const templated = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect((op.parameters ?? []).map((p) => p.name).sort()).toEqual([...templated].sort());
      expect(Object.keys(r.params).sort()).toEqual([...templated].sort());
      for (const p of op.parameters ?? []) expect(p).toMatchObject({ in: 'path', required: true });
    }
  });

  it('documents each request body with the JSON Schema of the zod schema the server validates with', () => {
    const withBody = api.routes.filter((r) => r.body !== undefined);
    expect(withBody.map((r) => r.operationId).sort()).toEqual(['alterTopicConfigs', 'createTopic', 'resetGroupOffsets', 'startRebalance']);
    for (const r of withBody) {
      const ref = doc.paths[r.path]![r.method.toLowerCase()]!.requestBody!.content['application/json']!.schema.$ref;
      const name = ref.replace('#/components/schemas/', '');
      const { $schema: _, ...expected } = z.toJSONSchema(r.body!, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      expect(doc.components.schemas[name]).toEqual(expected);
    }
  });

  it('documents each success answer with the JSON Schema of the route\'s response schema', () => {
    for (const r of api.routes) {
      const op = doc.paths[r.path]![r.method.toLowerCase()]! as Operation & { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> };
      for (const status of Object.keys(r.responses)) {
        const ref = op.responses[status]!.content!['application/json']!.schema.$ref;
        const { $schema: _, ...expected } = z.toJSONSchema(r.response, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
        expect(doc.components.schemas[ref.replace('#/components/schemas/', '')]).toEqual(expected);
      }
    }
  });

  it('requires the bearer token on writes only, and documents their 401 and 403', () => {
    for (const r of api.routes) {
      const op = doc.paths[r.path]![r.method.toLowerCase()]!;
      if (r.method === 'GET') {
        expect(op.security).toEqual([]);
        expect(op.responses['401']).toBeUndefined();
      } else {
        expect(op.security).toEqual([{ bearerAuth: [] }]);
        expect(op.responses['401']).toEqual({ $ref: '#/components/responses/unauthorized' });
        expect(op.responses['403']).toEqual({ $ref: '#/components/responses/read-only' });
      }
    }
  });

  it('serves the issue\'s endpoints under /api/v1/', () => {
    const router = new Router(api.routes);
    const ops = (m: string, p: string): string | undefined => {
      const found = router.match(m, `${API_PREFIX}${p}`);
      return found !== null && 'route' in found ? found.route.operationId : undefined;
    };
    expect(ops('GET', '/health')).toBe('getHealth');
    expect(ops('GET', '/brokers')).toBe('listBrokers');
    expect(ops('POST', '/brokers/2/drain')).toBe('drainBroker');
    expect(ops('POST', '/brokers/2/undrain')).toBe('undrainBroker');
    expect(ops('GET', '/topics')).toBe('listTopics');
    expect(ops('POST', '/topics')).toBe('createTopic');
    expect(ops('GET', '/topics/a%2Fb')).toBe('describeTopic');
    expect(ops('PATCH', '/topics/t/configs')).toBe('alterTopicConfigs');
    expect(ops('DELETE', '/topics/t')).toBe('deleteTopic');
    expect(ops('GET', '/groups')).toBe('listGroups');
    expect(ops('GET', '/groups/g')).toBe('describeGroup');
    expect(ops('POST', '/groups/g/reset-offsets')).toBe('resetGroupOffsets');
    expect(ops('POST', '/rebalance')).toBe('startRebalance');
    expect(ops('GET', '/rebalance')).toBe('getRebalance');
    expect(ops('GET', '/metrics/summary')).toBe('getMetricsSummary');
    expect(ops('GET', '/openapi.json')).toBe('getOpenApi');
    expect(router.match('PUT', `${API_PREFIX}/topics`)).toEqual({ allowed: ['GET', 'POST'] });
    expect(router.match('GET', `${API_PREFIX}/nothing`)).toBeNull();
  });
});
