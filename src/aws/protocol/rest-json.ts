/**
 * AWS REST-JSON (Lambda): the operation is named by method and path (the model's `requestUri`,
 * with `{Label}` and greedy `{Label+}` segments and sometimes a required query parameter); input
 * members come from the path, the query string, headers and the body (a JSON object, or the raw
 * bytes of a blob `payload` member); output members go to the status code, headers and body the
 * same way. Errors: `x-amzn-ErrorType: <Code>` and `{"Type": "User"|"Service", "message": …}`
 * (the message member spelled as the exception shape spells it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceModel, StructureShape } from '../../model/shape-table.js';
import type { AwsError } from '../errors.js';
import { toWire } from './json11.js';

export const REST_JSON_CONTENT_TYPE = 'application/json';

interface Route<S> {
  service: S;
  operation: string;
  method: string;
  regex: RegExp;
  labels: string[];
  query: [string, string | undefined][];
  /** Literal characters: more specific routes are tried first. */
  weight: number;
}

export interface RestMatch<S> {
  service: S;
  operation: string;
  labels: Record<string, string>;
}

/** Every operation's method and path, compiled once. */
export class RestJsonRouter<S extends { model: ServiceModel }> {
  private readonly routes: Route<S>[] = [];

  constructor(services: readonly S[]) {
    for (const service of services) {
      for (const [operation, info] of Object.entries(service.model.operations)) {
        const [pathPart, queryPart] = info.http.requestUri.split('?', 2) as [string, string | undefined];
        const labels: string[] = [];
        let literal = 0;
        const pattern = pathPart
          .split(/(\{[^}]+\})/)
          .map((piece) => {
            const m = /^\{([^}+]+)(\+?)\}$/.exec(piece);
            if (!m) {
              literal += piece.length;
              return piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            }
            labels.push(m[1]!);
            return m[2] ? '(.+)' : '([^/]+)';
          })
          .join('');
        const query = queryPart
          ? queryPart.split('&').map((kv) => {
              const [k, v] = kv.split('=', 2) as [string, string | undefined];
              return [k, v] as [string, string | undefined];
            })
          : [];
        this.routes.push({
          service,
          operation,
          method: info.http.method,
          regex: new RegExp(`^${pattern}/?$`),
          labels,
          query,
          weight: literal + query.length * 1000,
        });
      }
    }
    this.routes.sort((a, b) => b.weight - a.weight);
  }

  match(method: string, path: string, query: URLSearchParams): RestMatch<S> | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      if (!r.query.every(([k, v]) => query.has(k) && (v === undefined || query.get(k) === v))) continue;
      const labels: Record<string, string> = {};
      r.labels.forEach((name, i) => (labels[name] = safeDecode(m[i + 1]!)));
      return { service: r.service, operation: r.operation, labels };
    }
    return undefined;
  }

  /** Whether any operation lives under this path (for any method). */
  owns(path: string): boolean {
    return this.routes.some((r) => r.regex.test(path));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function inputShape(model: ServiceModel, operation: string): StructureShape | undefined {
  const name = model.operations[operation]?.input;
  const shape = name ? model.shapes[name] : undefined;
  return shape?.type === 'structure' ? shape : undefined;
}

/**
 * The raw input (before validation): members bound to the URI, query string and headers as
 * strings (the validator converts them per shape), body members from the JSON body, or the body
 * itself for a blob payload.
 */
export function decodeRestJsonInput(
  model: ServiceModel,
  operation: string,
  labels: Record<string, string>,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  body: Buffer,
  parseJson: (body: Buffer) => Record<string, unknown>,
): Record<string, unknown> {
  const shape = inputShape(model, operation);
  if (!shape) return {};
  const out: Record<string, unknown> = {};
  const payload = shape.payload;
  const payloadShape = payload ? model.shapes[shape.members[payload]!.shape] : undefined;
  if (payload && payloadShape?.type !== 'structure') {
    if (body.length > 0) out[payload] = body;
  } else if (payload) {
    if (body.length > 0) out[payload] = parseJson(body);
  } else if (body.length > 0) {
    Object.assign(out, parseJson(body));
  }
  for (const [name, ref] of Object.entries(shape.members)) {
    const wire = ref.locationName ?? name;
    switch (ref.location) {
      case 'uri':
        if (labels[wire] !== undefined) out[name] = labels[wire];
        break;
      case 'querystring': {
        const target = model.shapes[ref.shape];
        const values = query.getAll(wire);
        if (values.length > 0) out[name] = target?.type === 'list' ? values : values[0];
        break;
      }
      case 'header': {
        const v = headers[wire.toLowerCase()];
        if (v !== undefined) out[name] = Array.isArray(v) ? v.join(',') : v;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

export interface EncodedResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The output: status code member, header members, then the payload or the JSON body. */
export function encodeRestJsonOutput(model: ServiceModel, operation: string, output: unknown): EncodedResponse {
  const info = model.operations[operation];
  let status = info?.http.responseCode ?? 200;
  const headers: Record<string, string> = { 'content-type': REST_JSON_CONTENT_TYPE };
  const name = info?.output;
  const shape = name ? model.shapes[name] : undefined;
  const value = (output ?? {}) as Record<string, unknown>;
  if (shape?.type !== 'structure') return { status, headers, body: JSON.stringify(toWire(value)) };
  const bodyMembers: Record<string, unknown> = {};
  let payload: string | Buffer | undefined;
  for (const [member, v] of Object.entries(value)) {
    const ref = shape.members[member];
    if (!ref || v === undefined) continue;
    if (ref.location === 'statusCode') status = Number(v);
    else if (ref.location === 'header') headers[(ref.locationName ?? member).toLowerCase()] = String(v);
    else if (shape.payload === member) payload = v instanceof Uint8Array ? Buffer.from(v) : JSON.stringify(toWire(v));
    else bodyMembers[ref.locationName ?? member] = v;
  }
  return { status, headers, body: payload ?? (shape.payload ? '' : JSON.stringify(toWire(bodyMembers))) };
}

/** `{"Type": "User", "message": "…"}`, with the message member spelled as the exception's shape spells it. */
export function encodeRestJsonError(model: ServiceModel | undefined, err: AwsError): string {
  const shape = model?.shapes[err.code];
  const messageKey = shape?.type === 'structure' && 'Message' in shape.members ? 'Message' : 'message';
  return JSON.stringify(toWire({ Type: err.fault === 'server' ? 'Service' : 'User', [messageKey]: err.message, ...err.extra }));
}
