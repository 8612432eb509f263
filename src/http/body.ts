import type { IncomingMessage } from 'node:http';

/** Shared by the HTTP fronts (AWS protocols, registry, admin): reading small request bodies. */
export class BodyTooLargeError extends Error {}

/** Content-Length as a number, or undefined when absent or not a non-negative integer. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads a small body (an API call, a manifest) whole, refusing more than `limit` bytes before
 * reading when Content-Length says so, and while reading otherwise. Never used for blobs.
 */
export async function readCapped(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
