// The block `stratus dev` prints once it is ready: where to connect, where the data is,
// and something to paste into a terminal.

export interface BannerInfo {
  /** The first listener's advertised address. */
  readonly bootstrap: string;
  /** With more than one listener: each one's name and advertised address. */
  readonly listeners?: readonly { readonly name: string; readonly bootstrap: string }[];
  readonly httpUrl: string;
  /** Whether the admin REST API takes writes (admin.apiToken is set). */
  readonly adminApiWritable: boolean;
  readonly dataDir: string;
  readonly objectStoreUrl: string;
  readonly topics: number;
  /** In place of the plaintext "Try it" lines: what clients of a secured start need (stratus dev --secure). */
  readonly tryIt?: string;
}

export function banner(i: BannerInfo): string {
  const kafka = i.listeners === undefined ? i.bootstrap : i.listeners.map((l, n) => `${n === 0 ? '' : '                      '}${l.bootstrap}  (listener ${l.name})`).join('\n');
  return `
  Stratus is running — an embedded single-node cluster

    Kafka bootstrap   ${kafka}
    Health, metrics   ${i.httpUrl}/readyz   ${i.httpUrl}/metrics
    Admin REST API    ${i.httpUrl}/api/v1/health  (${i.adminApiWritable ? 'writes need the admin.apiToken bearer token' : 'read-only: set STRATUS_ADMIN_API_TOKEN for writes'})
    Data              ${i.dataDir}  (WAL, metadata, cache; ${i.topics} topic${i.topics === 1 ? '' : 's'} so far)
    Objects           ${i.objectStoreUrl}

${i.tryIt ?? `  Try it:
    echo "hello stratus" | kcat -b ${i.bootstrap} -t quickstart -P
    kcat -b ${i.bootstrap} -t quickstart -C -e
`}
  Ctrl-C stops it; data is kept and the next start continues where this one left off.

`;
}
