import type { AwsError } from '../errors.js';
import { commonErrors } from '../errors.js';

/**
 * AWS JSON 1.1: the operation is named by `X-Amz-Target: <prefix>.<Operation>`, input and output
 * are JSON bodies, timestamps are epoch seconds, blobs base64, errors `{"__type", "message"}`.
 */
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export function operationFromTarget(target: string): { prefix: string; operation: string } | undefined {
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return { prefix: target.slice(0, dot), operation: target.slice(dot + 1) };
}

export function decodeJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw commonErrors.serialization('Start of structure or map found where not expected.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw commonErrors.serialization('Start of structure or map found where not expected.');
  }
  return value;
}

/**
 * The value with its timestamps as epoch seconds and its blobs as base64. One walk before a plain
 * JSON.stringify: about twice as fast as a replacer function on large outputs (a DescribeImages
 * page of 1,000 images), which JSON.stringify calls for every key.
 */
export function toWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toWire);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toWire(v);
  return out;
}

export function encodeJsonOutput(output: unknown): string {
  return JSON.stringify(toWire(output ?? {}));
}

export function encodeJsonError(err: AwsError): string {
  return JSON.stringify(toWire({ __type: err.code, message: err.message, ...err.extra }));
}
