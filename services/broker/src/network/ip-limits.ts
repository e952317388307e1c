// Per-IP connection limits, as Kafka's max.connections.per.ip and
// max.connections.per.ip.overrides ("host:count,host:count"): a connection beyond its
// address's limit is closed on accept. Addresses are compared after folding IPv4-mapped
// IPv6 (::ffff:10.0.0.1) into IPv4, so a dual-stack listener counts one client once.
//
// Overrides name IP addresses only. Kafka also accepts host names and resolves them once
// at start-up; an address cannot change behind the operator's back, and the listener
// stays free of DNS.

import net from 'node:net';

/** Kafka's default (Int.MaxValue): no per-IP limit beyond maxConnections. */
export const UNLIMITED_CONNECTIONS_PER_IP = 2_147_483_647;

export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && net.isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/**
 * Parses "10.0.0.1:100,::1:5" (each entry split at its last colon, so IPv6 works).
 * Throws a RangeError naming the bad entry.
 */
export function parseConnectionsPerIpOverrides(text: string): Map<string, number> {
  const overrides = new Map<string, number>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.lastIndexOf(':');
    const host = entry.slice(0, colon).trim().replace(/^\[(.*)\]$/, '$1');
    const count = entry.slice(colon + 1).trim();
    if (colon < 0 || !/^\d+$/.test(count) || Number(count) > UNLIMITED_CONNECTIONS_PER_IP) {
      throw new RangeError(`"${entry}" is not address:count (count an integer in 0..${UNLIMITED_CONNECTIONS_PER_IP})`);
    }
    if (net.isIP(host) === 0) throw new RangeError(`"${host}" in "${entry}" is not an IP address (host names are not resolved)`);
    overrides.set(normalizeIp(host), Number(count));
  }
  return overrides;
}

/** Open connections per address; the server asks before accepting and tells on close. */
export class ConnectionsPerIp {
  private readonly defaultMax: number;
  private readonly overrides: ReadonlyMap<string, number>;
  private readonly open = new Map<string, number>();

  constructor(defaultMax: number, overrides: ReadonlyMap<string, number>) {
    this.defaultMax = defaultMax;
    const normalized = new Map<string, number>();
    for (const [address, max] of overrides) normalized.set(normalizeIp(address), max);
    this.overrides = normalized;
  }

  /** Counts the connection in and returns true, or returns false when the address is at its limit. */
  tryOpen(ip: string): boolean {
    const count = this.open.get(ip) ?? 0;
    if (count >= (this.overrides.get(ip) ?? this.defaultMax)) return false;
    this.open.set(ip, count + 1);
    return true;
  }

  closed(ip: string): void {
    const count = this.open.get(ip) ?? 0;
    if (count <= 1) this.open.delete(ip);
    else this.open.set(ip, count - 1);
  }
}
