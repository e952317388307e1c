// The SASL fuzzer's cases. Each is a short script on one or two fresh connections to a
// SASL listener — frames to send, and what Kafka answers to each: an error code (and its
// message), or a closed connection. A case's bytes and expectations depend only on the
// seed, its index and the broker's users (SCRAM steps are computed from the server-first
// the broker sent), so any case can be generated again on its own and replayed
// (test/fuzz/sasl-replay.ts).
//
// Families:
//   handshake  SaslHandshake v0..v9 with enabled, unknown, random, empty and overlong mechanism names
//   plain      PLAIN messages: honest, wrong/unknown/empty, authzid, token counts, NULs, huge, random
//   scram      SCRAM client-first with bad GS2 headers, attributes, names, nonces; client-final with
//              wrong proofs, nonces, channel bindings, a second client-first, a replayed final or
//              server nonce from another connection
//   order      every other API before authentication and between handshake and authenticate,
//              SaslAuthenticate before a handshake, twice, after success, and of unsupported versions
//   pipeline   frames sent together: password guesses after a failure, an exchange with its request
//   reauth     KIP-368 re-authentication: same and other mechanism and user, twice within a second,
//              wrong password, a request in the middle, v0
//   transport  random bytes and a TLS ClientHello on the SASL_PLAINTEXT port; Kafka frames and
//              random bytes on the SASL_SSL port; garbage after a TLS handshake, in and under TLS
//   size       frames above Kafka's sasl.server.max.receive.size (512 KiB) before authentication

import { randomBytes } from 'node:crypto';
import { ApiKey, apiSpecs, ErrorCode } from '@stratus/protocol';
import { Rng } from './rng.ts';
import { clientFinal, parseServerFirst, saslName } from './sasl-scram.ts';
import { ANY_PLAIN_FAILURE, garbage, KAFKA_MESSAGES, kafkaString, MECHANISM_HASH, mutate, randomProof, rawRequest, Script } from './sasl-script.ts';
import type { Exchange, SaslStep, SaslTarget, Transport } from './sasl-script.ts';

export type { Exchange, SaslStep, SaslTarget, Transport } from './sasl-script.ts';

const { NONE, UNSUPPORTED_SASL_MECHANISM: UNSUPPORTED_MECH, ILLEGAL_SASL_STATE: ILLEGAL, UNSUPPORTED_VERSION } = ErrorCode;

export const SASL_FAMILIES = ['handshake', 'plain', 'scram', 'order', 'pipeline', 'reauth', 'transport', 'size'] as const;
export type SaslFamily = (typeof SASL_FAMILIES)[number];

const WEIGHTS: readonly (readonly [SaslFamily, number])[] = [
  ['handshake', 12],
  ['plain', 10],
  ['scram', 32],
  ['order', 12],
  ['pipeline', 6],
  ['reauth', 10],
  ['transport', 14],
  ['size', 1],
];

/** Kafka's sasl.server.max.receive.size default: the largest frame read before authentication. */
export const SASL_MAX_RECEIVE_BYTES = 512 * 1024;

export interface SaslCase {
  readonly index: number;
  readonly family: SaslFamily;
  readonly variant: string;
  readonly transport: Transport;
  /** The client address the broker sees (the failure limiter counts per address). */
  readonly localAddress: string;
  readonly connections: 1 | 2;
  readonly steps: readonly SaslStep[];
}

/**
 * Starts the long names and fillers that clients send before authenticating (PLAIN users,
 * authzids and passwords, SCRAM user names): once the run is over, none may be left in the
 * broker's heap (sasl-fuzz.test.ts looks, in a heap snapshot).
 */
export const UNAUTHENTICATED_MARKER = 'sasl-fuzz-unauthenticated-';

/** Fuzz cases come from this many loopback addresses (127.0.0.2 on). */
export const FUZZ_ADDRESSES = 128;

// --- families ----------------------------------------------------------------------------

const UNKNOWN_MECHANISMS = ['GSSAPI', 'OAUTHBEARER', 'plain', 'scram-sha-256', 'SCRAM-SHA-1', 'SCRAM-SHA-512 ', ' PLAIN', 'PLAIN\u0000', 'SCRAM-SHA-', 'CRAM-MD5', 'DIGEST-MD5', 'EXTERNAL', 'ANONYMOUS', '*', 'PLAIN,SCRAM-SHA-256'];

function handshakeFamily(s: Script): string {
  const r = s.r;
  if (r.bool(0.25)) {
    // ApiVersions first, as clients do; an unsupported version is answered in v0.
    const max = apiSpecs.get(ApiKey.ApiVersions)!.request.valid[1];
    const v = r.weighted<number>([
      [r.int(0, max), 4],
      [r.int(max + 1, 200), 1],
    ]);
    const f = v <= max ? s.frame(ApiKey.ApiVersions, v, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }) : rawRequest(ApiKey.ApiVersions, v, s.nextCorr(), Buffer.from([0, 0, 0]), true);
    s.add({ label: `ApiVersions v${v}`, bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.ApiVersions, version: v <= max ? v : 0, codes: v <= max ? [NONE] : [UNSUPPORTED_VERSION] } });
  }
  const version = r.weighted<number>([
    [1, 10],
    [0, 2],
    [r.int(2, 9), 2],
    [r.int(-32768, -1), 1],
  ]);
  const enabled = r.bool(0.35);
  const mechanism = enabled
    ? r.pick(s.t.mechanisms)
    : r.weighted<() => string>([
        [() => r.pick(UNKNOWN_MECHANISMS), 5],
        [() => '', 1],
        [() => r.bytes(r.size(64)).toString('latin1'), 2],
        [() => 'X'.repeat(r.int(100, 32_000)), 1],
      ])();
  if (version === 1) {
    if (enabled) {
      s.handshakeOk(mechanism);
      // Then something out of turn, or nothing.
      const next = r.int(0, 3);
      if (next === 0) s.authFails('random auth bytes', r.bytes(r.size(300)), mechanism === 'PLAIN' ? ANY_PLAIN_FAILURE : KAFKA_MESSAGES.scramInvalid(mechanism)).thenClosed();
      else if (next === 1) s.outOfTurn();
      return `v1 enabled, then ${['random auth bytes', 'a request out of turn', 'nothing', 'nothing'][next]}`;
    }
    s.handshake(mechanism, { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 1, codes: [UNSUPPORTED_MECH], check: (b) => s.mechanismsCheck(b) }).thenClosed();
    return 'v1 not enabled';
  }
  if (version === 0) {
    const f = s.frame(ApiKey.SaslHandshake, 0, { mechanism });
    s.add({ label: 'SaslHandshake v0', bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 0, codes: [UNSUPPORTED_VERSION] } }).thenClosed();
    return 'v0';
  }
  const f = rawRequest(ApiKey.SaslHandshake, version, s.nextCorr(), kafkaString(Buffer.from(mechanism)));
  s.add({ label: `SaslHandshake v${version}`, bytes: () => f, expect: { kind: 'close' } });
  return 'unsupported version';
}

function plainFamily(s: Script): string {
  const r = s.r;
  const { admin, bob } = s.t.users;
  const user = r.pick([admin, bob]);
  s.handshakeOk('PLAIN');
  const big = (): string => `${UNAUTHENTICATED_MARKER}${'u'.repeat(r.int(1_000, 200_000))}`;
  const variants: readonly (readonly [string, () => void])[] = [
    ['honest', () => s.authSucceeds('PLAIN honest', Buffer.from(`\u0000${user.name}\u0000${user.password}`), 'PLAIN')],
    ['honest with authzid', () => s.authSucceeds('PLAIN honest, authzid', Buffer.from(`${user.name}\u0000${user.name}\u0000${user.password}`), 'PLAIN')],
    ['wrong password', () => s.authFails('PLAIN wrong password', Buffer.from(`\u0000${user.name}\u0000${mutate(r, user.password)}`), KAFKA_MESSAGES.plainInvalid)],
    ["the other user's password", () => s.authFails('PLAIN wrong password', Buffer.from(`\u0000${user.name}\u0000${(user === admin ? bob : admin).password}`), KAFKA_MESSAGES.plainInvalid)],
    ['unknown user', () => s.authFails('PLAIN unknown user', Buffer.from(`\u0000nobody-${r.int(0, 99)}\u0000${user.password}`), KAFKA_MESSAGES.plainInvalid)],
    ['password as the user name', () => s.authFails('PLAIN password typed as user', Buffer.from(`\u0000${user.password}\u0000${user.password}`), KAFKA_MESSAGES.plainInvalid)],
    ['empty user', () => s.authFails('PLAIN empty user', Buffer.from(`\u0000\u0000${user.password}`), KAFKA_MESSAGES.plainNoUser)],
    ['empty password', () => s.authFails('PLAIN empty password', Buffer.from(`\u0000${user.name}\u0000`), KAFKA_MESSAGES.plainNoPassword)],
    ['another authzid', () => s.authFails('PLAIN other authzid', Buffer.from(`${user === admin ? bob.name : admin.name}\u0000${user.name}\u0000${user.password}`), KAFKA_MESSAGES.plainAuthzid)],
    [
      'token count',
      () => {
        const n = r.pick([1, 2, 4, 5, r.int(6, 2000)]);
        const parts = [user.name, user.password, ...Array.from({ length: Math.max(0, n - 2) }, () => 'x')].slice(0, n);
        if (n === 1) parts[0] = `${user.name}${user.password}`;
        s.authFails(`PLAIN ${n} tokens`, Buffer.from(parts.join('\u0000')), KAFKA_MESSAGES.plainTokens(n));
      },
    ],
    ['huge user', () => s.authFails('PLAIN huge user', Buffer.from(`\u0000${big()}\u0000${user.password}`), KAFKA_MESSAGES.plainInvalid)],
    ['huge password', () => s.authFails('PLAIN huge password', Buffer.from(`\u0000${user.name}\u0000${user.password}${big()}`), KAFKA_MESSAGES.plainInvalid)],
    ['huge authzid', () => s.authFails('PLAIN huge authzid', Buffer.from(`${big()}\u0000${user.name}\u0000${user.password}`), KAFKA_MESSAGES.plainAuthzid)],
    ['invalid UTF-8', () => s.authFails('PLAIN invalid UTF-8', Buffer.concat([Buffer.from(`\u0000${user.name}\u0000`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(user.password)]), KAFKA_MESSAGES.plainInvalid)],
    ['random bytes', () => s.authFails('PLAIN random bytes', r.bytes(r.size(2_000)), ANY_PLAIN_FAILURE)],
    [
      'truncated',
      () => {
        const whole = Buffer.from(`${r.bool() ? user.name : ''}\u0000${user.name}\u0000${user.password}`);
        s.authFails('PLAIN cut short', whole.subarray(0, r.int(0, whole.length - 1)), ANY_PLAIN_FAILURE);
      },
    ],
    ['empty', () => s.authFails('PLAIN empty message', Buffer.alloc(0), KAFKA_MESSAGES.plainTokens(1))],
  ];
  const [name, run] = r.pick(variants);
  run();
  if (name.startsWith('honest')) {
    if (r.bool(0.5)) s.metadataServed();
    else {
      const f = s.frame(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${user.name}\u0000${user.password}`) });
      s.add({ label: 'SaslAuthenticate again after success', bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.SaslAuthenticate, version: 2, codes: [ILLEGAL], message: KAFKA_MESSAGES.afterSuccess } }).metadataServed();
    }
  } else s.thenClosed();
  return name;
}

function scramFamily(s: Script): string {
  const r = s.r;
  const { admin, bob } = s.t.users;
  const mechanism = r.pick(s.t.mechanisms.filter((m) => m !== 'PLAIN'));
  const hash = MECHANISM_HASH[mechanism]!;
  const invalid = KAFKA_MESSAGES.scramInvalid(mechanism);
  s.handshakeOk(mechanism);
  if (r.bool(0.3)) {
    // A malformed client-first.
    const n = saslName(admin.name);
    const bad: readonly (readonly [string, string | Buffer])[] = [
      ['channel binding asked for', `p=tls-unique,,n=${n},r=abcdefgh`],
      ['unknown gs2 flag', `x,,n=${n},r=abcdefgh`],
      ['gs2 header cut', `n,n=${n},r=abcdefgh`],
      ['gs2 header only', r.pick(['n,,', 'y,,', 'n', ''])],
      ['attributes swapped', `n,,r=abcdefgh,n=${n}`],
      ['no nonce', `n,,n=${n}`],
      ['empty nonce', `n,,n=${n},r=`],
      ['empty user', 'n,,n=,r=abcdefgh'],
      ['bad saslname escape', `n,,n=ad=min,r=abcdefgh`],
      ['mandatory extension', `n,,m=ext,n=${n},r=abcdefgh`],
      ['delegation token', `n,,n=${n},r=abcdefgh,tokenauth=true`],
      ['authzid of another user', `n,a=${saslName(bob.name)},n=${n},r=abcdefgh`],
      ['malformed attribute', `n,,n=${n},r=abcdefgh,${r.pick(['x', '=', ',', 'xy=1', '1=2'])}`],
      ['client-final first', `c=biws,r=abcdefgh,p=${randomProof(r, hash)}`],
      ['random bytes', r.bytes(r.size(1_000))],
      ['password as gs2 header', `${admin.password},,n=${n},r=abcdefgh`],
    ];
    const [name, bytes] = r.pick(bad);
    s.authFails(`client-first: ${name}`, Buffer.from(bytes), invalid).thenClosed();
    return `client-first ${name}`;
  }
  // An honest client-first (a known user, the other one, an unknown one), then one client-final.
  const who = r.weighted<{ name: string; password: string }>([
    [admin, 5],
    [bob, 2],
    [{ name: `nobody-${r.int(0, 20)}`, password: admin.password }, 2],
    [{ name: r.pick(['a,b', 'x=y', 'ad\u0000min', 'é']), password: admin.password }, 1],
    [{ name: admin.password, password: admin.password }, 1],
    [{ name: `${UNAUTHENTICATED_MARKER}${'n'.repeat(r.int(1_000, 100_000))}`, password: admin.password }, 1],
  ]);
  const known = who === admin || who === bob;
  const extension = r.bool(0.05) ? `,e=${r.int(0, 9)}` : '';
  const first = s.scramFirst(who.name);
  const bare = `${first.bare}${extension}`;
  const message = `${first.gs2}${bare}`;
  s.authenticate(`client-first${extension ? ' with an extension' : ''}`, Buffer.from(message), (v) => s.serverFirstExpect(v, first.nonce, 0));
  const final = (o: { password?: string; nonce?: (sf: string) => string; channelBinding?: string; extensions?: string } = {}) => (x: Exchange) => {
    const sf = x.serverFirst[0];
    if (sf === undefined) return undefined;
    const nonce = parseServerFirst(sf)?.nonce ?? '';
    const f = clientFinal({ hash, password: o.password ?? who.password, bare, gs2: first.gs2, serverFirst: sf, ...(o.nonce ? { nonce: o.nonce(nonce) } : {}), ...(o.channelBinding !== undefined ? { channelBinding: o.channelBinding } : {}), ...(o.extensions ? { extensions: o.extensions } : {}) });
    return f && Buffer.from(f.message);
  };
  const serverFinalOf = (o: { nonce?: (sf: string) => string; extensions?: string } = {}) => (x: Exchange) => {
    const sf = x.serverFirst[0];
    if (sf === undefined) return undefined;
    const nonce = parseServerFirst(sf)?.nonce ?? '';
    return clientFinal({ hash, password: who.password, bare, gs2: first.gs2, serverFirst: sf, ...(o.nonce ? { nonce: o.nonce(nonce) } : {}), ...(o.extensions ? { extensions: o.extensions } : {}) })?.serverFinal;
  };
  const succeedsIfKnown = (label: string, bytes: (x: Exchange) => Buffer | undefined, serverFinal: (x: Exchange) => string | undefined): void => {
    if (known) s.authSucceeds(label, bytes, mechanism, serverFinal);
    else s.authFails(`${label} (unknown user)`, bytes, invalid);
  };
  const variants: readonly (readonly [string, () => boolean])[] = [
    ['honest', () => (succeedsIfKnown('client-final honest', final(), serverFinalOf()), known)],
    [
      "librdkafka's repeated client nonce",
      () => {
        const nonce = (sn: string): string => `${first.nonce}${sn}`;
        succeedsIfKnown('client-final, client nonce repeated', final({ nonce }), serverFinalOf({ nonce }));
        return known;
      },
    ],
    [
      'an extension before the proof',
      () => {
        succeedsIfKnown('client-final with an extension', final({ extensions: ',x=1' }), serverFinalOf({ extensions: ',x=1' }));
        return known;
      },
    ],
    ['wrong password', () => (s.authFails('client-final, wrong password', final({ password: mutate(r, who.password) }), invalid), false)],
    ['nonce cut', () => (s.authFails('client-final, nonce cut', final({ nonce: (n) => n.slice(0, -1) }), invalid), false)],
    ['nonce extended', () => (s.authFails('client-final, nonce extended', final({ nonce: (n) => `${n}x` }), invalid), false)],
    ['client nonce only', () => (s.authFails('client-final, client nonce only', final({ nonce: () => first.nonce }), invalid), false)],
    ['server nonce made up', () => (s.authFails('client-final, made-up server nonce', final({ nonce: () => `${first.nonce}${randomBytes(24).toString('base64url')}` }), invalid), false)],
    [
      'wrong channel binding',
      () => {
        const right = Buffer.from(first.gs2).toString('base64');
        const channelBinding = r.pick(['', 'eSws', 'biws', 'cD10bHMtdW5pcXVlLCw=', '!!', `${right}=`].filter((c) => c !== right));
        s.authFails(`client-final, c=${channelBinding}`, final({ channelBinding }), invalid);
        return false;
      },
    ],
    [
      'proof missing or mangled',
      () => {
        const how = r.int(0, 3);
        s.authFails(
          `client-final, proof ${['missing', 'empty', 'short', 'not base64'][how]}`,
          (x) => {
            const b = final()(x)?.toString('utf8');
            if (b === undefined) return undefined;
            const withoutProof = b.slice(0, b.lastIndexOf(',p='));
            return Buffer.from([withoutProof, `${withoutProof},p=`, `${withoutProof},p=${r.bytes(10).toString('base64')}`, `${withoutProof},p=!!!!`][how]!);
          },
          invalid,
        );
        return false;
      },
    ],
    ['a second client-first', () => (s.authFails('client-first again', Buffer.from(s.scramFirst(who.name).message), invalid), false)],
    ['random bytes', () => (s.authFails('client-final, random bytes', r.bytes(r.size(500)), invalid), false)],
  ];
  const [name, run] = r.pick(variants);
  const succeeded = run();
  if (succeeded) {
    if (r.bool(0.5)) s.metadataServed();
    else {
      const f = s.frame(ApiKey.SaslAuthenticate, 2, { authBytes: r.bytes(r.size(100)) });
      s.add({ label: 'SaslAuthenticate again after success', bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.SaslAuthenticate, version: 2, codes: [ILLEGAL], message: KAFKA_MESSAGES.afterSuccess } }).metadataServed();
    }
  } else s.thenClosed();
  return `${mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512'} ${name}${known ? '' : ' (unknown user)'}`;
}

/** Another connection's exchange replayed: its server nonce, or a whole successful client-final. */
function scramReplay(s: Script): string {
  const r = s.r;
  const { admin } = s.t.users;
  const mechanism = r.pick(s.t.mechanisms.filter((m) => m !== 'PLAIN'));
  const hash = MECHANISM_HASH[mechanism]!;
  const invalid = KAFKA_MESSAGES.scramInvalid(mechanism);
  if (r.bool()) {
    // Both connections get a server-first; connection 1 sends the final computed for connection 0's.
    const a = s.scramFirst(admin.name, 'n,,');
    const b = s.scramFirst(admin.name, 'n,,');
    s.handshakeOk(mechanism, { conn: 0 }).authenticate('client-first (connection 0)', Buffer.from(a.message), (v) => s.serverFirstExpect(v, a.nonce, 0), { conn: 0 });
    s.handshakeOk(mechanism, { conn: 1 }).authenticate('client-first (connection 1)', Buffer.from(b.message), (v) => s.serverFirstExpect(v, b.nonce, 1), { conn: 1 });
    let serverFinal: string | undefined;
    s.authFails(
      "client-final for connection 0's server nonce, on connection 1",
      (x) => {
        const f = x.serverFirst[0] && clientFinal({ hash, password: admin.password, bare: a.bare, gs2: a.gs2, serverFirst: x.serverFirst[0] });
        return f ? Buffer.from(f.message) : undefined;
      },
      invalid,
      { conn: 1 },
    );
    s.authSucceeds(
      'connection 0 finishes honestly',
      (x) => {
        const f = x.serverFirst[0] && clientFinal({ hash, password: admin.password, bare: a.bare, gs2: a.gs2, serverFirst: x.serverFirst[0] });
        serverFinal = f ? f.serverFinal : undefined;
        return f ? Buffer.from(f.message) : undefined;
      },
      mechanism,
      () => serverFinal,
      { conn: 0 },
    );
    s.metadataServed(0);
    return 'server nonce of another connection';
  }
  // Connection 0 logs in; connection 1 sends the same client-first and that client-final again.
  const a = s.scramFirst(admin.name, 'n,,');
  s.handshakeOk(mechanism, { conn: 0 }).authenticate('client-first', Buffer.from(a.message), (v) => s.serverFirstExpect(v, a.nonce, 0), { conn: 0 });
  let serverFinal: string | undefined;
  s.authSucceeds(
    'client-final honest',
    (x) => {
      const f = x.serverFirst[0] && clientFinal({ hash, password: admin.password, bare: a.bare, gs2: a.gs2, serverFirst: x.serverFirst[0] });
      if (f) x.finals.push(f.message);
      serverFinal = f ? f.serverFinal : undefined;
      return f ? Buffer.from(f.message) : undefined;
    },
    mechanism,
    () => serverFinal,
    { conn: 0 },
  );
  s.handshakeOk(mechanism, { conn: 1 }).authenticate('the same client-first again', Buffer.from(a.message), (v) => s.serverFirstExpect(v, a.nonce, 1), { conn: 1 });
  s.authFails('the recorded client-final replayed', (x) => (x.finals[0] === undefined ? undefined : Buffer.from(x.finals[0])), invalid, { conn: 1 });
  return 'a recorded exchange replayed';
}

function orderFamily(s: Script): string {
  const r = s.r;
  const { admin } = s.t.users;
  const otherApi = (): [string, Buffer] => {
    const keys = [...apiSpecs.keys()].filter((k) => k !== ApiKey.ApiVersions && k !== ApiKey.SaslHandshake && k !== ApiKey.SaslAuthenticate);
    const key = r.bool(0.9) ? r.pick(keys) : r.int(100, 32_767);
    const spec = apiSpecs.get(key);
    const version = spec ? r.int(spec.request.valid[0], spec.request.valid[1]) : r.int(0, 20);
    // The gate decides from the header alone; the body is anything.
    return [`${spec?.name ?? `API ${key}`} v${version}`, rawRequest(key, version, s.nextCorr(), r.bytes(r.size(200)), r.bool())];
  };
  switch (r.int(0, 6)) {
    case 0: {
      const v = s.authVersion();
      const f = s.frame(ApiKey.SaslAuthenticate, v, { authBytes: Buffer.from(`\u0000${admin.name}\u0000${admin.password}`) });
      s.add({ label: 'SaslAuthenticate before a handshake', bytes: () => f, expect: { kind: 'close' } });
      return 'SaslAuthenticate before a handshake';
    }
    case 1: {
      const [label, f] = otherApi();
      s.add({ label: `${label} before a handshake`, bytes: () => f, expect: { kind: 'close' } });
      return 'another API before a handshake';
    }
    case 2: {
      s.handshakeOk(r.pick(s.t.mechanisms));
      const [label, f] = r.bool() ? otherApi() : s.anyRequest();
      if (label === 'SaslAuthenticate') s.add({ label: `${label} after the handshake`, bytes: () => f, expect: { kind: 'any' } });
      else s.add({ label: `${label} between handshake and authenticate`, bytes: () => f, expect: { kind: 'close' } });
      return 'another request between handshake and authenticate';
    }
    case 3: {
      s.handshakeOk(r.pick(s.t.mechanisms));
      s.handshake(r.pick(s.t.mechanisms), { kind: 'close' });
      return 'SaslHandshake twice';
    }
    case 6: {
      // Kafka cannot answer a SaslAuthenticate version it does not know: it closes.
      s.handshakeOk(r.pick(s.t.mechanisms));
      const version = r.weighted<number>([
        [r.int(3, 9), 3],
        [r.int(10, 32_767), 1],
        [r.int(-32_768, -1), 1],
      ]);
      const f = rawRequest(ApiKey.SaslAuthenticate, version, s.nextCorr(), r.bytes(r.size(100)), r.bool());
      s.add({ label: `SaslAuthenticate v${version}`, bytes: () => f, expect: { kind: 'close' } });
      return 'SaslAuthenticate of an unsupported version';
    }
    case 4: {
      s.login(admin);
      const [label, f] = otherApi();
      s.add({ label: `${label} (random body) after authentication`, bytes: () => f, expect: { kind: 'any' } });
      return 'another API with a random body after authentication';
    }
    default: {
      // Many ApiVersions before the handshake, then a login.
      for (let i = r.int(1, 4); i > 0; i--) {
        const f = s.frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' });
        s.add({ label: 'ApiVersions', bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.ApiVersions, version: 3, codes: [NONE] } });
      }
      s.login(admin);
      s.metadataServed();
      return 'ApiVersions, then a login';
    }
  }
}

function pipelineFamily(s: Script): string {
  const r = s.r;
  const { admin } = s.t.users;
  switch (r.int(0, 3)) {
    case 0:
    case 1: {
      // Password guesses sent at once after one handshake: Kafka reads one, fails it, closes.
      s.handshakeOk('PLAIN', { pipelined: true });
      const guesses = r.int(2, 30);
      const honestAt = r.bool(0.5) ? r.int(1, guesses - 1) : -1;
      s.authFails('PLAIN guess 0 (wrong)', Buffer.from(`\u0000${admin.name}\u0000${mutate(r, admin.password)}`), KAFKA_MESSAGES.plainInvalid, { pipelined: true });
      for (let i = 1; i < guesses; i++) {
        const password = i === honestAt ? admin.password : mutate(r, admin.password);
        const f = s.frame(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${admin.name}\u0000${password}`) });
        s.add({ label: `PLAIN guess ${i}${i === honestAt ? ' (right)' : ''}, pipelined after a failure`, bytes: () => f, expect: { kind: 'close' }, pipelined: i < guesses - 1 });
      }
      return honestAt >= 0 ? 'guesses after a failure, the right one among them' : 'guesses after a failure';
    }
    case 2: {
      // A whole PLAIN login and a request in one write: Kafka serves the request once authenticated; Stratus may close.
      s.handshakeOk('PLAIN', { pipelined: true });
      s.authSucceeds('PLAIN honest', Buffer.from(`\u0000${admin.name}\u0000${admin.password}`), 'PLAIN', undefined, { pipelined: true });
      const f = s.frame(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      s.add({ label: 'Metadata pipelined behind the login', bytes: () => f, expect: { kind: 'any' } });
      return 'a login and a request in one write';
    }
    default: {
      // A SCRAM client-first and a made-up client-final at once: the final is judged after the first.
      const mechanism = r.pick(s.t.mechanisms.filter((m) => m !== 'PLAIN'));
      const first = s.scramFirst(admin.name);
      s.handshakeOk(mechanism, { pipelined: true });
      s.authenticate('client-first', Buffer.from(first.message), (v) => s.serverFirstExpect(v, first.nonce, 0), { pipelined: true });
      s.authFails('a made-up client-final sent with it', Buffer.from(`c=biws,r=${first.nonce}${r.bytes(18).toString('base64url')},p=${randomProof(r, MECHANISM_HASH[mechanism]!)}`), KAFKA_MESSAGES.scramInvalid(mechanism));
      s.thenClosed();
      return 'SCRAM client-first and a guessed final in one write';
    }
  }
}

function reauthFamily(s: Script): string {
  const r = s.r;
  const { admin, bob } = s.t.users;
  const mechanism = s.login(admin);
  const other = r.pick(s.t.mechanisms.filter((m) => m !== mechanism));
  switch (r.int(0, 7)) {
    case 0:
    case 1: {
      s.login(admin, mechanism);
      if (r.bool()) {
        // A second re-authentication within a second: refused, the session goes on.
        s.handshake(mechanism, { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 1, codes: [ILLEGAL], orClose: true });
        return 're-authenticated, then again at once';
      }
      s.metadataServed();
      return 're-authenticated';
    }
    case 2:
      s.handshake(r.bool() ? other : r.pick(UNKNOWN_MECHANISMS), { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 1, codes: [UNSUPPORTED_MECH], check: (b) => s.mechanismsCheck(b) }).thenClosed();
      return 'another mechanism';
    case 3: {
      s.handshakeOk(mechanism);
      const message = KAFKA_MESSAGES.reauthPrincipal('User:admin', 'User:bob');
      if (mechanism === 'PLAIN') s.authFails('PLAIN as another user', Buffer.from(`\u0000${bob.name}\u0000${bob.password}`), message);
      else {
        const first = s.scramFirst(bob.name, 'n,,');
        s.authenticate('client-first as another user', Buffer.from(first.message), (v) => s.serverFirstExpect(v, first.nonce, 0));
        s.authFails('client-final as another user', (x) => {
          const f = x.serverFirst[0] && clientFinal({ hash: MECHANISM_HASH[mechanism]!, password: bob.password, bare: first.bare, gs2: first.gs2, serverFirst: x.serverFirst[0] });
          return f ? Buffer.from(f.message) : undefined;
        }, message);
      }
      s.thenClosed();
      return 'as another user';
    }
    case 4: {
      s.handshakeOk(mechanism);
      if (mechanism === 'PLAIN') s.authFails('PLAIN wrong password', Buffer.from(`\u0000${admin.name}\u0000${mutate(r, admin.password)}`), KAFKA_MESSAGES.plainInvalid);
      else s.authFails('client-final first', Buffer.from(`c=biws,r=abc,p=${randomProof(r, MECHANISM_HASH[mechanism]!)}`), KAFKA_MESSAGES.scramInvalid(mechanism));
      s.thenClosed();
      return 'failing';
    }
    case 5: {
      s.handshakeOk(mechanism);
      const f = s.frame(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      s.add({ label: 'Metadata in the middle of re-authentication', bytes: () => f, expect: { kind: 'any' } });
      return 'a request in the middle';
    }
    case 6: {
      const f = s.frame(ApiKey.SaslHandshake, 0, { mechanism });
      s.add({ label: 'SaslHandshake v0 to re-authenticate', bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 0, codes: [UNSUPPORTED_VERSION] } }).thenClosed();
      return 'v0';
    }
    default: {
      // Re-authentication with the exchange cut off by our reset, during the failure delay.
      s.handshakeOk(mechanism, { pipelined: true });
      s.authenticate('a failing attempt, reset before its answer', r.bytes(r.size(100)), () => ({ kind: 'reset' }));
      return 'reset during the failure delay';
    }
  }
}

function transportFamily(s: Script): { variant: string; transport: Transport } {
  const r = s.r;
  switch (r.int(0, 7)) {
    case 0:
      s.add({ label: 'a TLS ClientHello on the SASL_PLAINTEXT port', bytes: () => s.t.clientHello, expect: { kind: 'close' } });
      return { variant: 'TLS ClientHello on the plaintext port', transport: 'clear' };
    case 1:
      s.add({ label: 'random bytes, then FIN', bytes: () => garbage(r, r.int(1, 3_000)), expect: { kind: 'close' }, thenEnd: true });
      return { variant: 'random bytes on the plaintext port', transport: 'clear' };
    case 2: {
      const [label, f] = s.anyRequest();
      s.add({ label: `${label} in plain text on the SASL_SSL port`, bytes: () => f, expect: { kind: 'close' } });
      return { variant: 'Kafka frame on the TLS port', transport: 'tcp-to-secure' };
    }
    case 3:
      s.add({ label: 'random bytes on the SASL_SSL port, then FIN', bytes: () => r.bytes(r.int(1, 3_000)), expect: { kind: 'close' }, thenEnd: true });
      return { variant: 'random bytes on the TLS port', transport: 'tcp-to-secure' };
    case 4:
      s.add({ label: 'random bytes inside TLS, then FIN', bytes: () => garbage(r, r.int(1, 3_000)), expect: { kind: 'close' }, thenEnd: true });
      return { variant: 'garbage after the TLS handshake', transport: 'tls' };
    case 5:
      s.add({ label: 'random bytes under TLS (on the TCP socket), then FIN', bytes: () => r.bytes(r.int(1, 3_000)), expect: { kind: 'close' }, underTls: true, thenEnd: true });
      return { variant: 'garbage records under TLS', transport: 'tls' };
    case 6: {
      // A client that dies in the middle of a frame: the rest never comes.
      s.handshakeOk(r.pick(s.t.mechanisms));
      const f = s.frame(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${s.t.users.admin.name}\u0000${s.t.users.admin.password}`) });
      const cut = f.subarray(0, r.int(1, f.length - 1));
      s.add({ label: `SaslAuthenticate cut after ${cut.length} of ${f.length} bytes, then FIN`, bytes: () => cut, expect: { kind: 'close' }, thenEnd: true });
      return { variant: 'a SaslAuthenticate cut short', transport: r.bool(0.3) ? 'tls' : 'clear' };
    }
    default:
      s.add({ label: 'a TLS ClientHello inside TLS', bytes: () => s.t.clientHello, expect: { kind: 'close' } });
      return { variant: 'a second ClientHello inside TLS', transport: 'tls' };
  }
}

function sizeFamily(s: Script): string {
  const r = s.r;
  const big = r.int(SASL_MAX_RECEIVE_BYTES + 1, SASL_MAX_RECEIVE_BYTES + 128 * 1024);
  switch (r.int(0, 2)) {
    case 0: {
      const f = rawRequest(ApiKey.ApiVersions, 3, s.nextCorr(), Buffer.concat([Buffer.from([5, 0x66, 0x75, 0x7a, 0x7a, 2, 0x31, 0]), Buffer.alloc(big)]), true);
      s.add({ label: `ApiVersions of ${big} bytes before authentication`, bytes: () => f, expect: { kind: 'close' } });
      return 'ApiVersions';
    }
    case 1: {
      const f = rawRequest(ApiKey.SaslHandshake, 1, s.nextCorr(), Buffer.concat([kafkaString(Buffer.from('PLAIN')), Buffer.alloc(big)]));
      s.add({ label: `SaslHandshake of ${big} bytes`, bytes: () => f, expect: { kind: 'close' } });
      return 'SaslHandshake';
    }
    default: {
      s.handshakeOk('PLAIN');
      const f = s.frame(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${s.t.users.admin.name}\u0000${'p'.repeat(big)}`) });
      s.add({ label: `SaslAuthenticate of ${big} bytes`, bytes: () => f, expect: { kind: 'close' } });
      return 'SaslAuthenticate';
    }
  }
}

/** Case `index` under `seed`, for the broker `t` describes. */
export function generateSaslCase(seed: number, index: number, t: SaslTarget): SaslCase {
  const r = Rng.forCase(seed, index, 0x5a51);
  const family = r.weighted(WEIGHTS);
  const s = new Script(r, t);
  // TLS handshakes cost both processes most of a case: an eighth of them is thousands a run.
  const secureOr = (): Transport => (r.bool(0.12) ? 'tls' : 'clear');
  let variant: string;
  let transport: Transport = 'clear';
  let connections: 1 | 2 = 1;
  switch (family) {
    case 'handshake':
      transport = secureOr();
      variant = handshakeFamily(s);
      break;
    case 'plain':
      transport = secureOr();
      variant = plainFamily(s);
      break;
    case 'scram':
      transport = secureOr();
      if (r.bool(0.12)) {
        connections = 2;
        variant = scramReplay(s);
      } else variant = scramFamily(s);
      break;
    case 'order':
      transport = secureOr();
      variant = orderFamily(s);
      break;
    case 'pipeline':
      transport = secureOr();
      variant = pipelineFamily(s);
      break;
    case 'reauth':
      transport = secureOr();
      variant = reauthFamily(s);
      break;
    case 'transport':
      ({ variant, transport } = transportFamily(s));
      break;
    case 'size':
      transport = secureOr();
      variant = sizeFamily(s);
      break;
  }
  return { index, family, variant, transport, localAddress: `127.0.0.${2 + (index % FUZZ_ADDRESSES)}`, connections, steps: s.steps };
}
