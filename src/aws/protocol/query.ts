import type { ServiceModel, Shape, MemberRef } from '../../model/shape-table.js';
import { AwsError } from '../errors.js';
import { escapeXmlText } from '../../http/xml.js';

/**
 * The AWS query protocol (IAM, STS): the input is a form (`Action=CreateUser&Version=2010-05-08
 * &UserName=x`, POSTed as `application/x-www-form-urlencoded` or sent as a GET query string),
 * the output XML:
 *
 *   <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
 *     <CreateUserResult>…members in model order…</CreateUserResult>
 *     <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
 *   </CreateUserResponse>
 *
 * and errors
 *
 *   <ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>
 *     <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>
 *
 * Element names come from the model (`locationName`, list `member`, `flattened`, map
 * `entry/key/value`, the operation's `resultWrapper`) — source: the query protocol
 * description in smithy's awsQuery spec (https://smithy.io/2.0/aws/protocols/aws-query-protocol.html)
 * and botocore's `QuerySerializer`/`QueryParser`, which read exactly these traits.
 * Timestamps are ISO 8601 with second precision (IAM prints `2024-05-01T10:00:00Z`).
 */
export const QUERY_CONTENT_TYPE = 'text/xml';

/** The form parameters of a query request: the URL's query string, then the form body. */
export function decodeQueryParams(url: string, body: Buffer): URLSearchParams {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  if (body.length > 0) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
  return params;
}


/** `2024-05-01T10:00:00Z` — ISO 8601, milliseconds only when there are any. */
export function isoTimestamp(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

function scalar(shape: Shape, value: unknown): string {
  switch (shape.type) {
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : String(value));
      return isoTimestamp(d);
    }
    case 'blob':
      return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : escapeXmlText(String(value));
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return escapeXmlText(String(value));
  }
}

function serialize(model: ServiceModel, shapeName: string, value: unknown, out: string[]): void {
  const shape = model.shapes[shapeName];
  if (shape === undefined) return;
  switch (shape.type) {
    case 'structure': {
      const record = value as Record<string, unknown>;
      for (const [member, ref] of Object.entries(shape.members)) {
        const v = record[member];
        if (v === undefined || v === null) continue;
        element(model, ref.locationName ?? member, ref, v, out);
      }
      return;
    }
    case 'list': {
      const name = shape.member.locationName ?? 'member';
      for (const item of value as unknown[]) element(model, name, shape.member, item, out);
      return;
    }
    case 'map': {
      const keyName = shape.key.locationName ?? 'key';
      const valueName = shape.value.locationName ?? 'value';
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push('<entry>');
        element(model, keyName, shape.key, k, out);
        element(model, valueName, shape.value, v, out);
        out.push('</entry>');
      }
      return;
    }
    default:
      out.push(scalar(shape, value));
  }
}

/** One member: `<Name>…</Name>`, or for a flattened list/map the repeated elements themselves. */
function element(model: ServiceModel, name: string, ref: MemberRef, value: unknown, out: string[]): void {
  const shape = model.shapes[ref.shape];
  if (shape === undefined) return;
  if ((shape.type === 'list' || shape.type === 'map') && (ref.flattened || shape.flattened)) {
    if (shape.type === 'list') {
      for (const item of value as unknown[]) element(model, name, shape.member, item, out);
    } else {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push(`<${name}>`);
        element(model, shape.key.locationName ?? 'key', shape.key, k, out);
        element(model, shape.value.locationName ?? 'value', shape.value, v, out);
        out.push(`</${name}>`);
      }
    }
    return;
  }
  out.push(`<${name}>`);
  serialize(model, ref.shape, value, out);
  out.push(`</${name}>`);
}

function namespace(model: ServiceModel): string {
  const ns = model.metadata.xmlNamespace;
  return ns ? ` xmlns="${ns}"` : '';
}

/** The XML answer of a successful operation. */
export function encodeQueryOutput(model: ServiceModel, operation: string, output: unknown, requestId: string): string {
  const op = Object.hasOwn(model.operations, operation) ? model.operations[operation] : undefined;
  const out: string[] = [`<${operation}Response${namespace(model)}>`];
  if (op?.output !== undefined) {
    const wrapper = op.resultWrapper ?? `${operation}Result`;
    out.push(`<${wrapper}>`);
    serialize(model, op.output, output ?? {}, out);
    out.push(`</${wrapper}>`);
  }
  out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`);
  return out.join('');
}

/** The XML answer of a failed request (`model` gives the namespace; absent when no service was found). */
export function encodeQueryError(err: AwsError, requestId: string, model?: ServiceModel): string {
  const type = err.fault === 'server' ? 'Receiver' : 'Sender';
  const extra = Object.entries(err.extra)
    .map(([k, v]) => `<${k}>${escapeXmlText(String(v))}</${k}>`)
    .join('');
  return (
    `<ErrorResponse${model ? namespace(model) : ''}><Error><Type>${type}</Type><Code>${escapeXmlText(err.code)}</Code>` +
    `<Message>${escapeXmlText(err.message)}</Message>${extra}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/**
 * Errors every query service shares, in their query names and statuses — source: the "Common
 * Errors" page of the IAM and STS API references, and the texts botocore users quote, e.g.
 * "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation:
 * Signature expired: 20190430T103019Z is now earlier than …" and "(InvalidClientTokenId) … The
 * security token included in the request is invalid.".
 */
export const queryErrors = {
  missingAuthenticationToken: () => new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
  invalidClientTokenId: () => new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  signatureDoesNotMatch: (message: string) => new AwsError('SignatureDoesNotMatch', message, 403),
  expiredToken: () => new AwsError('ExpiredToken', 'The security token included in the request is expired', 403),
  incompleteSignature: (message: string) => new AwsError('IncompleteSignature', message, 400),
  invalidAction: (operation: string, version: string) =>
    new AwsError('InvalidAction', `Could not find operation ${operation} for version ${version}`, 400),
  missingAction: () => new AwsError('MissingAction', 'Missing Action', 400),
  accessDenied: (message: string) => new AwsError('AccessDenied', message, 403),
  internalFailure: () => new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500, 'server'),
} as const;
