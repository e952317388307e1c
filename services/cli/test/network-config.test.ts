// The Kafka listener's slow-client settings: defaults, STRATUS_* variables, validation
// that names the key, and the metrics that export what they count.

import { describe, expect, it } from 'vitest';
import { ObjectStoreMetrics } from '@stratus/objectstore';
import { ConfigError, loadConfig } from '../src/config/load.ts';
import { createMetrics } from '../src/metrics.ts';
import type { ServerStats } from '../src/metrics.ts';

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join('\n');
    throw e;
  }
  return '';
}

describe('slow-client settings', () => {
  it('have defaults and can be set with STRATUS_* variables', () => {
    const d = loadConfig({ env: {} }).kafka;
    expect(d).toMatchObject({
      requestReceiveTimeout: 30_000,
      responseStallTimeout: 30_000,
      maxConnectionsPerIp: 2_147_483_647,
      maxConnectionsPerIpOverrides: '',
      smallRequestMaxBytes: 1024 * 1024,
      maxResponseBytes: 256 * 1024 * 1024,
      smallResponseMaxBytes: 1024 * 1024,
    });
    // The listener takes an eighth of maxInflightBytes / maxResponseBytes.
    expect(d.smallRequestReserveBytes).toBeUndefined();
    expect(d.smallResponseReserveBytes).toBeUndefined();
    const k = loadConfig({
      env: {
        STRATUS_KAFKA_REQUEST_RECEIVE_TIMEOUT: '2s',
        STRATUS_KAFKA_RESPONSE_STALL_TIMEOUT: '3s',
        STRATUS_KAFKA_MAX_CONNECTIONS_PER_IP: '20',
        STRATUS_KAFKA_MAX_CONNECTIONS_PER_IP_OVERRIDES: '127.0.0.1:100,::1:5',
        STRATUS_KAFKA_SMALL_REQUEST_RESERVE_BYTES: '1048576',
        STRATUS_KAFKA_MAX_RESPONSE_BYTES: '8388608',
      },
    }).kafka;
    expect(k).toMatchObject({
      requestReceiveTimeout: 2_000,
      responseStallTimeout: 3_000,
      maxConnectionsPerIp: 20,
      maxConnectionsPerIpOverrides: '127.0.0.1:100,::1:5',
      smallRequestReserveBytes: 1024 * 1024,
      maxResponseBytes: 8 * 1024 * 1024,
    });
  });

  it('names the key of a bad value', () => {
    expect(problems({ STRATUS_KAFKA_MAX_CONNECTIONS_PER_IP_OVERRIDES: 'kafka-host:5' })).toMatch(
      /kafka.maxConnectionsPerIpOverrides \(from STRATUS_KAFKA_MAX_CONNECTIONS_PER_IP_OVERRIDES\).*not an IP address/,
    );
    expect(problems({ STRATUS_KAFKA_SMALL_REQUEST_RESERVE_BYTES: String(2 ** 30) })).toMatch(/kafka.smallRequestReserveBytes.*must not exceed kafka.maxInflightBytes/);
    expect(problems({ STRATUS_KAFKA_SMALL_RESPONSE_RESERVE_BYTES: String(2 ** 30) })).toMatch(/kafka.smallResponseReserveBytes.*must not exceed kafka.maxResponseBytes/);
    expect(problems({ STRATUS_KAFKA_REQUEST_RECEIVE_TIMEOUT: 'soon' })).toMatch(/kafka.requestReceiveTimeout/);
  });
});

describe('listener metrics', () => {
  it('export closed connections by reason and the shared budgets', async () => {
    const stats: ServerStats = {
      connectionsOpen: 3,
      connectionsOpenByListener: { INTERNAL: 1, EXTERNAL: 2 },
      connectionsRefused: 1,
      connectionsRefusedPerIp: 2,
      connectionsIdleClosed: 3,
      connectionsReceiveTimedOut: 4,
      connectionsResponseStalled: 5,
      tlsHandshakeFailures: 10,
      tlsHandshakeTimeouts: 11,
      tlsOnPlaintext: 12,
      inFlightBytes: 600,
      inFlightWaiting: 7,
      responseBytes: 800,
      responseWaiting: 9,
    };
    const text = await createMetrics({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => stats }).metrics();
    expect(text).toContain('stratus_kafka_connections_closed{reason="refused_per_ip"} 2');
    expect(text).toContain('stratus_kafka_connections_closed{reason="receive_timeout"} 4');
    expect(text).toContain('stratus_kafka_connections_closed{reason="response_stall"} 5');
    expect(text).toContain('stratus_kafka_connections_closed{reason="tls_handshake_failed"} 10');
    expect(text).toContain('stratus_kafka_connections_closed{reason="tls_handshake_timeout"} 11');
    expect(text).toContain('stratus_kafka_connections_closed{reason="tls_on_plaintext"} 12');
    expect(text).toContain('stratus_kafka_budget_used_bytes{budget="request"} 600');
    expect(text).toContain('stratus_kafka_budget_used_bytes{budget="response"} 800');
    expect(text).toContain('stratus_kafka_budget_waiting{budget="request"} 7');
    expect(text).toContain('stratus_kafka_listener_connections{listener="INTERNAL"} 1');
    expect(text).toContain('stratus_kafka_listener_connections{listener="EXTERNAL"} 2');
  });
});
