// Finds the route of a request path: templates like /api/v1/topics/{topic} are split into
// segments once; a request matches segment by segment (a parameter takes one whole
// segment, URL-decoded). 404 when no template matches the path, 405 (with the methods
// that do) when one matches but not for this method.

import type { HttpMethod, Route } from './route.ts';

interface Compiled {
  readonly route: Route;
  readonly segments: readonly ({ readonly literal: string } | { readonly param: string })[];
}

export type Match = { readonly route: Route; readonly params: Record<string, string> } | { readonly allowed: readonly HttpMethod[] } | null;

export class Router {
  private readonly compiled: readonly Compiled[];
  readonly routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    this.routes = routes;
    const seen = new Set<string>();
    this.compiled = routes.map((route) => {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`admin API: ${key} is defined twice`);
      seen.add(key);
      const segments = route.path
        .split('/')
        .filter((s) => s !== '')
        .map((s) => {
          const m = /^\{(\w+)\}$/.exec(s);
          return m !== null ? { param: m[1]! } : { literal: s };
        });
      return { route, segments };
    });
  }

  match(method: string, path: string): Match {
    const parts = path.split('/').filter((s) => s !== '');
    const allowed: HttpMethod[] = [];
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, parts);
      if (params === null) continue;
      if (c.route.method === method) return { route: c.route, params };
      allowed.push(c.route.method);
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

function matchSegments(segments: Compiled['segments'], parts: readonly string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const part = parts[i]!;
    if ('literal' in s) {
      if (s.literal !== part) return null;
    } else {
      try {
        params[s.param] = decodeURIComponent(part);
      } catch {
        return null;
      }
    }
  }
  return params;
}
