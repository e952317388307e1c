// Asks a broker which API versions it advertises (one ApiVersions v0 round trip on a raw
// socket), so a test can check the behaviour a client must show for a feature the
// target does not offer, instead of skipping it.

import { connect } from 'node:net';
import { ApiKey, decodeResponse, encodeRequest } from '@stratus/protocol';

/** `bootstrap`: host:port, or a list of them (the first one is asked). */
export async function advertisedApis(bootstrap: string): Promise<Map<number, { min: number; max: number }>> {
  const [host, port] = bootstrap.split(',')[0]!.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  try {
    const frame = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      });
      socket.write(encodeRequest(ApiKey.ApiVersions, 0, 1, 'compat-probe', {}));
    });
    const decoded = decodeResponse(ApiKey.ApiVersions, 0, frame);
    if (!decoded.ok) throw decoded.error;
    return new Map(decoded.value.body.apiKeys.map((a) => [a.apiKey, { min: a.minVersion, max: a.maxVersion }]));
  } finally {
    socket.destroy();
  }
}
