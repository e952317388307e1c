// kafkajs 2.2.4 set up for the suite: every compression codec it can use without native
// code, each wrapped to count its calls, so a test can tell that batches really crossed the
// broker compressed (a consumer decompresses only what the broker returned compressed).
//
//   None, GZIP  kafkajs itself (GZIP through node:zlib)
//   Snappy      kafkajs-snappy (pure JS, snappyjs)
//   LZ4         ./lz4.ts, a pure-TypeScript LZ4 frame codec (the npm codecs are native addons)
//   ZSTD        node:zlib's zstd (built into Node 22.15+/24; no package, no native build)

import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient } from 'kafkajs';
import { lz4CompressFrame, lz4DecompressFrame } from './lz4.ts';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export const codecCalls = new Map<number, { compress: number; decompress: number }>();

function register(type: number, make: () => Codec): void {
  const calls = { compress: 0, decompress: 0 };
  codecCalls.set(type, calls);
  (CompressionCodecs as Record<number, () => Codec>)[type] = () => {
    const codec = make();
    return {
      async compress(encoder: { buffer: Buffer }) {
        calls.compress += 1;
        return codec.compress(encoder);
      },
      async decompress(buffer: Buffer) {
        calls.decompress += 1;
        return codec.decompress(buffer);
      },
    };
  };
}

const builtinGzip = CompressionCodecs[CompressionTypes.GZIP] as () => Codec;
// kafkajs-snappy has no type declarations; it exports a codec factory.
const snappy = createRequire(import.meta.url)('kafkajs-snappy') as () => Codec;

register(CompressionTypes.GZIP, builtinGzip);
register(CompressionTypes.Snappy, snappy);
register(CompressionTypes.LZ4, () => ({
  compress: async (encoder) => lz4CompressFrame(encoder.buffer),
  decompress: async (buffer) => lz4DecompressFrame(buffer),
}));
register(CompressionTypes.ZSTD, () => ({
  compress: async (encoder) => zlib.zstdCompressSync(encoder.buffer),
  decompress: async (buffer) => zlib.zstdDecompressSync(buffer),
}));

/**
 * Errors kafkajs logs (at ERROR, though it retries them) in the normal course of the tests:
 * rebalances, coordinators still loading right after a broker starts, an intended duplicate
 * topic. A real failure still fails the test that meets it.
 */
const EXPECTED_ERRORS = [/group is rebalancing/, /coordinator is not available/, /coordinator is loading/, /Topic creation errors/];

function logCreator(): (entry: { level: number; log: { message: string; error?: string } }) => void {
  return ({ level, log }) => {
    if (level > logLevel.ERROR) return;
    if (EXPECTED_ERRORS.some((re) => re.test(`${log.message} ${log.error ?? ''}`))) return;
    console.error(`kafkajs: ${JSON.stringify(log)}`);
  };
}

/** `bootstrap`: host:port, or a comma-separated list (the cluster mode's). */
export function kafkaClient(bootstrap: string, clientId: string): KafkaClient {
  return new Kafka({
    clientId,
    brokers: bootstrap.split(','),
    logLevel: logLevel.ERROR,
    logCreator,
    connectionTimeout: 10_000,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
