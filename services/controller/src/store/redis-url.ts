// Parses the Redis URLs the metadata store and the controller lease accept, with clear
// errors naming what is wrong. Pure: no connection is made here (redis-connection.ts
// does that). Forms:
//
//   redis://[user[:password]@]host[:port][/db][?param=value&...]          plain TCP
//   rediss://...                                                          TLS
//   redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/master[/db][?...]
//   rediss+sentinel://...                                                 TLS to Sentinels and Redis
//
// Ports default to 6379 (Redis) and 26379 (Sentinel); IPv6 hosts go in brackets. The
// user and password are Redis' own (AUTH); Sentinels that need a password get it through
// the connection options, not the URL. Parameters are returned unparsed: the store and the
// lease read their own (unknown ones are refused there, by name).

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface RedisUrl {
  readonly mode: 'standalone' | 'sentinel';
  readonly tls: boolean;
  /** One endpoint (standalone), or the Sentinels to ask for the master. */
  readonly endpoints: readonly RedisEndpoint[];
  /** The Sentinel master group name (sentinel mode only). */
  readonly masterName?: string;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly params: ReadonlyMap<string, string>;
  /** The URL with the password replaced by `***`, for logs and errors. */
  readonly redacted: string;
}

const SCHEMES: Readonly<Record<string, { mode: RedisUrl['mode']; tls: boolean }>> = {
  'redis:': { mode: 'standalone', tls: false },
  'rediss:': { mode: 'standalone', tls: true },
  'redis+sentinel:': { mode: 'sentinel', tls: false },
  'rediss+sentinel:': { mode: 'sentinel', tls: true },
};

const REDIS_PORT = 6379;
const SENTINEL_PORT = 26379;
/** Redis' default `databases` setting allows 0..15; larger servers are configured to allow more. */
const MAX_DB = 1_000_000;

export function isRedisUrl(url: string): boolean {
  const colon = url.indexOf('://');
  return colon > 0 && SCHEMES[`${url.slice(0, colon)}:`] !== undefined;
}

export function parseRedisUrl(url: string): RedisUrl {
  const m = /^([a-z+]+:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  const scheme = m === null ? undefined : SCHEMES[m[1]!];
  if (m === null || scheme === undefined) {
    throw new TypeError(`Redis URL ${redactLoose(url)} is not of the form redis://host[:port][/db], rediss://..., or redis+sentinel://host[:port][,host[:port]]/master[/db]`);
  }
  const [, schemeText, userinfo, hostList, pathText, query] = m;
  const redacted = `${schemeText}//${userinfo !== undefined ? `${redactUserinfo(userinfo)}@` : ''}${hostList}${pathText ?? ''}${query !== undefined ? `?${query}` : ''}`;
  const fail = (why: string): TypeError => new TypeError(`Redis URL ${redacted}: ${why}`);

  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), fail);
    if (user !== '') username = user;
    if (colon >= 0) password = decode(userinfo.slice(colon + 1), fail);
  }

  const hosts = hostList!.split(',');
  if (scheme.mode === 'standalone' && hosts.length !== 1) throw fail('a redis:// URL names one host; use redis+sentinel:// for a list of Sentinels');
  const endpoints = hosts.map((h) => parseEndpoint(h, scheme.mode === 'sentinel' ? SENTINEL_PORT : REDIS_PORT, fail));

  const segments = (pathText ?? '').split('/').filter((s) => s !== '');
  let masterName: string | undefined;
  if (scheme.mode === 'sentinel') {
    if (segments.length === 0) throw fail('a Sentinel URL names the master group after the hosts: redis+sentinel://host:26379/mymaster');
    masterName = decode(segments.shift()!, fail);
  }
  if (segments.length > 1) throw fail(`unexpected path ${pathText}`);
  let db = 0;
  if (segments.length === 1) {
    const text = segments[0]!;
    if (!/^\d+$/.test(text) || Number(text) > MAX_DB) throw fail(`the database must be a number from 0 to ${MAX_DB}, got ${JSON.stringify(text)}`);
    db = Number(text);
  }

  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (params.has(key)) throw fail(`parameter ${key} is given twice`);
    params.set(key, value);
  }
  return {
    mode: scheme.mode,
    tls: scheme.tls,
    endpoints,
    ...(masterName !== undefined ? { masterName } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    params,
    redacted,
  };
}

function parseEndpoint(text: string, defaultPort: number, fail: (why: string) => TypeError): RedisEndpoint {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(text);
  if (m === null) throw fail(`${JSON.stringify(text)} is not host or host:port`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw fail(`port ${m[2]} is not from 1 to 65535`);
  return { host, port };
}

function decode(text: string, fail: (why: string) => TypeError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw fail('bad percent-encoding in the user, password or master name');
  }
}

function redactUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`;
}

/** Best-effort redaction of a string that did not even parse. */
function redactLoose(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}
