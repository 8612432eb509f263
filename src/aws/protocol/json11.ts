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

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
  return value;
}

export function encodeJsonOutput(output: unknown): string {
  return JSON.stringify(output ?? {}, replacer);
}

export function encodeJsonError(err: AwsError): string {
  return JSON.stringify({ __type: err.code, message: err.message, ...err.extra }, replacer);
}
