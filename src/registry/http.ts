/** Small HTTP helpers of the registry front: responses, ranges, capped bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from './errors.js';

export type Headers = Readonly<Record<string, string | number>>;

/** A response without a body (Content-Length: 0, as registries send on 201/202/204). */
export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, status === 204 ? { ...headers } : { ...headers, 'content-length': 0 });
  res.end();
}

/** A whole body at once (manifests, listings, errors); HEAD gets the headers only. */
export function sendBody(res: ServerResponse, status: number, body: string | Buffer, headers: Headers): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  sendBody(res, status, JSON.stringify(value), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError): void {
  // Whatever of the body was not read is discarded, so a keep-alive connection stays usable.
  if (!req.complete) req.resume();
  sendBody(res, err.status, err.body(), { 'content-type': 'application/json; charset=utf-8', ...err.headers });
}


/**
 * The single byte range a `Range: bytes=…` header selects from `size` bytes: `start-end`,
 * `start-` or the suffix `-n`. Undefined when there is no usable header (another unit or
 * several ranges: RFC 9110 lets a server serve the whole content then); 'unsatisfiable' for a
 * range that selects nothing (416).
 */
export function parseRangeHeader(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return 'unsatisfiable';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || (last !== '' && Number(last) < start)) return 'unsatisfiable';
  return { start, end };
}

/**
 * `Content-Range` of an upload chunk: `<start>-<end>` as the distribution spec writes it, or the
 * RFC form `bytes <start>-<end>/<total>` some clients send. Throws BLOB_UPLOAD_INVALID when
 * malformed.
 */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:bytes[\s=]+)?(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (m === null || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', { detail: `malformed Content-Range: ${header}` });
  }
  return { start, end };
}

/** The media types an `Accept` header lists (parameters dropped, lowercased); empty for none. */
export function acceptedTypes(req: IncomingMessage): string[] {
  const raw = req.headersDistinct['accept'] ?? [];
  return raw
    .flatMap((h) => h.split(','))
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter((t) => t !== '');
}
