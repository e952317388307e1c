// Put bodies: one buffer or several chunks written back to back. Helpers to measure and
// slice them without concatenating (a 16 MiB upload should not be copied to be sent).

export type Body = Uint8Array | readonly Uint8Array[];

export function bodyChunks(body: Body): readonly Uint8Array[] {
  return body instanceof Uint8Array ? [body] : body;
}

export function bodyLength(body: Body): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const c of body) n += c.length;
  return n;
}

/** One contiguous copy; for backends that keep bytes in memory anyway. */
export function concatBody(body: Body): Buffer {
  const chunks = bodyChunks(body);
  return Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.length))));
}

/**
 * Cuts the body into consecutive parts of `partBytes` (the last may be shorter); each part
 * is a list of views into the caller's chunks, so nothing is copied.
 */
export function splitBody(body: Body, partBytes: number): Uint8Array[][] {
  const parts: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let room = partBytes;
  for (const chunk of bodyChunks(body)) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(room, chunk.length - offset);
      current.push(chunk.subarray(offset, offset + take));
      offset += take;
      room -= take;
      if (room === 0) {
        parts.push(current);
        current = [];
        room = partBytes;
      }
    }
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
