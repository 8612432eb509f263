import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BodyBudgetExceededError, BodyTooLargeError, contentLength, readCapped, type BudgetLease, type ByteBudget } from '../http/body.js';
import { validateInput, validateQueryInput } from '../model/validate.js';
import type { Clock } from '../clock.js';
import { AccessDeniedError, type Authorizer } from '../iam/authorize.js';
import type { RequestContext } from './context.js';
import { AwsError, commonErrors } from './errors.js';
import { decodeJsonBody, encodeJsonError, encodeJsonOutput, JSON_CONTENT_TYPE, operationFromTarget } from './protocol/json11.js';
import { decodeQueryParams, encodeQueryError, encodeQueryOutput, QUERY_CONTENT_TYPE, queryErrors } from './protocol/query.js';
import {
  decodeRestJsonInput,
  encodeRestJsonError,
  encodeRestJsonOutput,
  REST_JSON_CONTENT_TYPE,
  RestJsonRouter,
  type EncodedResponse,
} from './protocol/rest-json.js';
import { ownEntry, type AwsService, type Protocol } from './service.js';
import { SigV4Error, type SigV4Verifier } from './sigv4.js';
import { storageFullCode } from '../store/storage-full.js';

export interface AwsFrontDeps {
  services: readonly AwsService[];
  verifier: SigV4Verifier;
  authorizer: Authorizer;
  clock: Clock;
  log: Logger;
  /** Bytes of request bodies held at once across all AWS requests. */
  bodyBudget: ByteBudget;
}

/** What the access log line records about an AWS request. */
export interface AwsRequestOutcome {
  service?: string;
  operation?: string;
  status: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * AWS bodies are read whole, so each is capped at what its operation can carry — source: the
 * ECR model. UploadLayerPart's LayerPartBlob is at most 20 MiB, base64 in JSON; PutImage's
 * ImageManifest at most 4 MiB of characters, each at most 6 once JSON-escaped (`\u001f`). Every
 * other ECR input is small (the largest, a lifecycle policy, is 30,720 characters). Query
 * services (IAM, STS) name the operation inside the body, so one cap covers them: a 131,072-
 * character policy document, URL-encoded (3 bytes a character at worst), fits.
 */
const JSON_BODY_LIMITS: Readonly<Record<string, number>> = {
  UploadLayerPart: Math.ceil((20 * MiB) / 3) * 4 + 64 * KiB,
  PutImage: 6 * 4 * MiB + 64 * KiB,
};
const DEFAULT_JSON_BODY_LIMIT = 1 * MiB;
const QUERY_BODY_LIMIT = 1 * MiB;
/**
 * An unsigned query request's body is read (when this small) only to word the refusal in its
 * service's XML namespace; a larger one is refused unread.
 */
const REFUSAL_PEEK_LIMIT = 16 * KiB;

/**
 * REST-JSON (Lambda) bodies: an `Invoke` payload is at most 6 MB — source: Lambda quotas,
 * "Invocation payload (request and response): 6 MB each for synchronous requests"; the margin
 * is for the JSON of other operations, which are far smaller.
 */
const REST_JSON_BODY_LIMIT = 6 * 1024 * KiB + 64 * KiB;

/** What a client reads when simfra's disk is full: the cause, that nothing was stored, and what to do. */
const storageFullMessage = (cause: string): string =>
  `Storage is full (${cause}): simfra has no space left to store this request's data; nothing was stored. Free space where simfra keeps its data and retry.`;

/** The service and operation a request names, found before its signature is checked. */
interface Routed {
  service: AwsService | undefined;
  operation: string | undefined;
  /** Decodes and validates the input once the caller is known. */
  input(service: AwsService, operation: string): unknown;
}

/**
 * What differs between the wire protocols: how a request names its service and operation, how
 * input is decoded, and how outputs, errors, signature failures and denials are written.
 * The dispatcher below is the same for all of them.
 */
interface ProtocolCodec {
  readonly contentType: string;
  route(req: IncomingMessage, body: Buffer): Routed;
  unknownOperation(routed: Routed): AwsError;
  /** A string is a 200 answer of `contentType`; REST protocols choose status and headers too. */
  encodeOutput(service: AwsService, operation: string, output: unknown, requestId: string): string | EncodedResponse;
  encodeError(err: AwsError, requestId: string, service: AwsService | undefined): string;
  sigV4Error(e: SigV4Error): AwsError;
  accessDenied(message: string): AwsError;
  /** The disk (or database) is full: the service's own server-fault error, saying so. */
  storageFull(cause: string): AwsError;
  /** Too many request bytes in flight: AWS's throttling error, which SDKs retry with backoff. */
  throttled(): AwsError;
  /** The most body bytes the request may carry, known from its headers. */
  bodyLimit(req: IncomingMessage): number;
  /** Headers beside the content type on an error (JSON names the type in `x-amzn-errortype`). */
  errorHeaders(err: AwsError): Record<string, string>;
}

/** AWS JSON 1.1: `X-Amz-Target: <prefix>.<Operation>`. */
function jsonCodec(byTargetPrefix: ReadonlyMap<string, AwsService>): ProtocolCodec {
  return {
    contentType: JSON_CONTENT_TYPE,
    route(req, body) {
      const target = String(req.headers['x-amz-target']);
      const parsed = operationFromTarget(target);
      const service = parsed && byTargetPrefix.get(parsed.prefix);
      if (!parsed || !service) throw commonErrors.unknownOperation();
      return {
        service,
        operation: parsed.operation,
        input: (s, op) => validateInput(s.model, op, decodeJsonBody(body)),
      };
    },
    unknownOperation: (routed) => notImplemented(routed, 'UnknownOperationException') ?? commonErrors.unknownOperation(),
    encodeOutput: (_service, _operation, output) => encodeJsonOutput(output),
    encodeError: (err) => encodeJsonError(err),
    sigV4Error(e) {
      switch (e.kind) {
        case 'missing':
          return new AwsError('MissingAuthenticationTokenException', e.message, 403);
        case 'incomplete':
          return new AwsError('IncompleteSignatureException', e.message, 400);
        case 'unknownKey':
          return new AwsError('UnrecognizedClientException', e.message, 400);
        case 'badSignature':
        case 'expired':
          return new AwsError('InvalidSignatureException', e.message, 403);
        case 'expiredToken':
          return new AwsError('ExpiredTokenException', e.message, 400);
      }
    },
    accessDenied: (message) => new AwsError('AccessDeniedException', message, 400),
    // ECR's own throttling answer — e.g. "(ThrottlingException) when calling the
    // GetAuthorizationToken operation: Rate exceeded".
    throttled: () => new AwsError('ThrottlingException', 'Rate exceeded', 400),
    // ECR's server-fault error (the model's ServerException, 500).
    storageFull: (cause) => new AwsError('ServerException', storageFullMessage(cause), 500, 'server'),
    bodyLimit(req) {
      const operation = operationFromTarget(String(req.headers['x-amz-target']))?.operation;
      return (operation !== undefined && Object.hasOwn(JSON_BODY_LIMITS, operation) ? JSON_BODY_LIMITS[operation] : undefined) ?? DEFAULT_JSON_BODY_LIMIT;
    },
    errorHeaders: (err) => ({ 'x-amzn-errortype': err.code }),
  };
}

/** The SigV4 credential scope's service name (`…/20240101/us-east-1/iam/aws4_request`), unverified. */
function scopeService(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return undefined;
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(auth)?.[1];
}

/**
 * AWS query (IAM, STS): every service shares the path `/` and names only the `Action`, so the
 * service is the one the request was signed for (the credential scope's service name, as AWS's
 * own endpoints are per service). An unsigned request is matched by its Action, only to word the
 * MissingAuthenticationToken error in the right namespace.
 */
function queryCodec(bySigningName: ReadonlyMap<string, AwsService>): ProtocolCodec {
  return {
    contentType: QUERY_CONTENT_TYPE,
    route(req, body) {
      const params = decodeQueryParams(req.url ?? '/', body);
      const operation = params.get('Action') ?? undefined;
      const name = scopeService(req);
      let service = name === undefined ? undefined : bySigningName.get(name);
      if (name === undefined && operation !== undefined) {
        service = [...bySigningName.values()].find((s) => ownEntry(s.model.operations, operation) !== undefined);
      }
      return { service, operation, input: (s, op) => validateQueryInput(s.model, op, params) };
    },
    unknownOperation(routed) {
      if (routed.operation === undefined) return queryErrors.missingAction();
      const missing = notImplemented(routed, 'InvalidAction');
      if (missing) return missing;
      return queryErrors.invalidAction(routed.operation, routed.service?.model.metadata.apiVersion ?? '');
    },
    encodeOutput: (service, operation, output, requestId) => encodeQueryOutput(service.model, operation, output, requestId),
    encodeError: (err, requestId, service) => encodeQueryError(err, requestId, service?.model),
    sigV4Error(e) {
      switch (e.kind) {
        case 'missing':
          return queryErrors.missingAuthenticationToken();
        case 'incomplete':
          return queryErrors.incompleteSignature(e.message);
        case 'unknownKey':
          return queryErrors.invalidClientTokenId();
        case 'badSignature':
        case 'expired':
          return queryErrors.signatureDoesNotMatch(e.message);
        case 'expiredToken':
          return queryErrors.expiredToken();
      }
    },
    accessDenied: (message) => queryErrors.accessDenied(message),
    // IAM's and STS's throttling answer — source: IAM API reference, Common Errors (Throttling).
    throttled: () => new AwsError('Throttling', 'Rate exceeded', 400),
    // IAM's server-fault error (the model's ServiceFailureException: code ServiceFailure, 500).
    storageFull: (cause) => new AwsError('ServiceFailure', storageFullMessage(cause), 500, 'server'),
    bodyLimit: () => QUERY_BODY_LIMIT,
    errorHeaders: () => ({}),
  };
}

/** JSON 1.1's answers to a signature problem; REST-JSON (Lambda) answers the same codes with 403s. */
function restJsonSigV4Error(e: SigV4Error): AwsError {
  switch (e.kind) {
    case 'missing':
      return new AwsError('MissingAuthenticationTokenException', e.message, 403);
    case 'incomplete':
      return new AwsError('IncompleteSignatureException', e.message, 403);
    case 'unknownKey':
      return new AwsError('UnrecognizedClientException', e.message, 403);
    case 'badSignature':
    case 'expired':
      return new AwsError('InvalidSignatureException', e.message, 403);
    case 'expiredToken':
      return new AwsError('ExpiredTokenException', e.message, 403);
  }
}

/** AWS REST-JSON (Lambda): the operation is found by method and path (see protocol/rest-json.ts). */
function restJsonCodec(router: RestJsonRouter<AwsService>): ProtocolCodec {
  return {
    contentType: REST_JSON_CONTENT_TYPE,
    route(req, body) {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = router.match(req.method ?? 'GET', url.pathname, url.searchParams);
      if (!m) return { service: undefined, operation: undefined, input: () => ({}) };
      return {
        service: m.service,
        operation: m.operation,
        input: (s, op) =>
          validateInput(
            s.model,
            op,
            decodeRestJsonInput(s.model, op, m.labels, url.searchParams, req.headers, body, (b) => decodeJsonBody(b) as Record<string, unknown>),
          ),
      };
    },
    unknownOperation: () => new AwsError('UnknownOperationException', 'Unknown operation', 404),
    encodeOutput: (service, operation, output) => encodeRestJsonOutput(service.model, operation, output),
    encodeError: (err, _requestId, service) => encodeRestJsonError(service?.model, err),
    sigV4Error: restJsonSigV4Error,
    accessDenied: (message) => new AwsError('AccessDeniedException', message, 403),
    // Lambda's throttling and server-fault errors (the model's TooManyRequestsException, 429, and
    // ServiceException, 500).
    throttled: () => new AwsError('TooManyRequestsException', 'Rate exceeded', 429),
    storageFull: (cause) => new AwsError('ServiceException', storageFullMessage(cause), 500, 'server'),
    bodyLimit: () => REST_JSON_BODY_LIMIT,
    errorHeaders: (err) => ({ 'x-amzn-errortype': err.code }),
  };
}

/**
 * An operation of the service's model that simfra has no handler for. The code is the one the
 * protocol uses for an operation the endpoint does not serve (json: UnknownOperationException,
 * query: InvalidAction), both 400 client faults, so SDKs fail at once instead of retrying as
 * they would a 5xx; the message says what is missing, where AWS would have served it.
 */
function notImplemented(routed: Routed, code: 'UnknownOperationException' | 'InvalidAction'): AwsError | undefined {
  const { service, operation } = routed;
  if (!service || operation === undefined || !Object.hasOwn(service.model.operations, operation)) return undefined;
  const name = service.model.metadata.serviceFullName ?? service.model.metadata.serviceId;
  return new AwsError(code, `simfra does not implement the ${operation} operation of ${name} (${service.signingName}) yet; it is in the AWS API model but not emulated`, 400);
}

/**
 * The AWS side of the gateway: finds the service and operation, verifies SigV4, validates the
 * input against the model, authorizes, calls the handler and encodes the answer — the same steps
 * for every protocol; `ProtocolCodec` holds what differs.
 */
export class AwsFront {
  private readonly codecs: Readonly<Record<'json' | 'query' | 'rest-json', ProtocolCodec>>;
  private readonly restRouter: RestJsonRouter<AwsService>;

  constructor(private readonly deps: AwsFrontDeps) {
    const byTargetPrefix = new Map<string, AwsService>();
    const bySigningName = new Map<string, AwsService>();
    for (const service of deps.services) {
      const prefix = service.model.metadata.targetPrefix;
      if (service.protocol === 'json' && prefix) byTargetPrefix.set(prefix, service);
      if (service.protocol === 'query') bySigningName.set(service.signingName, service);
    }
    this.restRouter = new RestJsonRouter(deps.services.filter((s) => s.protocol === 'rest-json'));
    this.codecs = { json: jsonCodec(byTargetPrefix), query: queryCodec(bySigningName), 'rest-json': restJsonCodec(this.restRouter) };
  }

  /**
   * JSON requests name their target in a header; a path a REST service owns (Lambda's
   * `/2015-03-31/functions/…`) is REST-JSON; everything else on the AWS front is query.
   */
  private protocolOf(req: IncomingMessage): Protocol {
    if (req.headers['x-amz-target'] !== undefined) return 'json';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    return path !== '/' && this.restRouter.owns(path) ? 'rest-json' : 'query';
  }

  async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<AwsRequestOutcome> {
    const outcome: AwsRequestOutcome = { status: 200 };
    const codec = this.codecs[this.protocolOf(req)];
    let service: AwsService | undefined;
    const lease = this.deps.bodyBudget.lease();
    try {
      // Callers without credentials we know are refused before their body is read, so they
      // cannot make us buffer anything.
      const refusal = this.refusal(codec, req);
      if (refusal !== undefined) {
        service = await this.routeForRefusal(codec, req, lease);
        throw refusal;
      }
      const body = await readCapped(req, codec.bodyLimit(req), lease);
      const routed = codec.route(req, body);
      service = routed.service;
      outcome.service = service?.signingName;
      outcome.operation = routed.operation;
      const output = await this.invoke(codec, routed, req, body, requestId);
      const encoded = codec.encodeOutput(service!, routed.operation!, output, requestId);
      if (typeof encoded === 'string') this.send(res, requestId, 200, codec.contentType, encoded);
      else {
        outcome.status = encoded.status;
        const { 'content-type': type = codec.contentType, ...rest } = encoded.headers;
        this.send(res, requestId, encoded.status, type, encoded.body, rest);
      }
    } catch (e) {
      const err = this.asAwsError(e, codec, requestId);
      outcome.status = err.status;
      // A body left unread (refused, over its cap, over the budget) cannot be skipped on a
      // keep-alive connection without reading it all: close the connection with the answer.
      const close: Record<string, string> = req.complete ? {} : { connection: 'close' };
      this.send(res, requestId, err.status, codec.contentType, codec.encodeError(err, requestId, service), { ...codec.errorHeaders(err), ...close });
    } finally {
      lease.release();
    }
    return outcome;
  }

  /** The AWS error for a request whose credentials can be refused from its headers alone. */
  private refusal(codec: ProtocolCodec, req: IncomingMessage): AwsError | undefined {
    try {
      this.deps.verifier.precheck(req.headers);
      return undefined;
    } catch (e) {
      if (e instanceof SigV4Error) return codec.sigV4Error(e);
      throw e;
    }
  }

  /** The service a refused request addressed, for the wording of the refusal (query: its XML namespace). */
  private async routeForRefusal(codec: ProtocolCodec, req: IncomingMessage, lease: BudgetLease): Promise<AwsService | undefined> {
    const length = contentLength(req);
    const peek = codec === this.codecs.query && length !== undefined && length <= REFUSAL_PEEK_LIMIT;
    try {
      return codec.route(req, peek ? await readCapped(req, REFUSAL_PEEK_LIMIT, lease) : Buffer.alloc(0)).service;
    } catch {
      return undefined;
    }
  }

  /** A request refused before it is read (a Host simfra does not serve): AccessDenied in its protocol. */
  refuse(req: IncomingMessage, res: ServerResponse, requestId: string, message: string): void {
    const codec = this.codecs[this.protocolOf(req)];
    const err = new AwsError(codec === this.codecs.json ? 'AccessDeniedException' : 'AccessDenied', message, 403);
    req.resume();
    this.send(res, requestId, err.status, codec.contentType, codec.encodeError(err, requestId, undefined), codec.errorHeaders(err));
  }

  private async invoke(codec: ProtocolCodec, routed: Routed, req: IncomingMessage, body: Buffer, requestId: string): Promise<unknown> {
    const now = this.deps.clock.now();
    let verified;
    try {
      verified = await this.deps.verifier.verify(
        { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers },
        body,
        now,
      );
    } catch (e) {
      throw e instanceof SigV4Error ? codec.sigV4Error(e) : e;
    }
    const { service, operation } = routed;
    const handler = service && operation !== undefined ? ownEntry(service.handlers, operation) : undefined;
    if (!service || operation === undefined || !handler || ownEntry(service.model.operations, operation) === undefined) {
      throw codec.unknownOperation(routed);
    }
    const ctx: RequestContext = {
      requestId,
      accountId: verified.principal.accountId,
      region: verified.region,
      principal: verified.principal,
      clock: this.deps.clock,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      secureTransport: false,
    };
    const input = routed.input(service, operation);
    await this.deps.authorizer.authorize(
      { principal: ctx.principal, sourceIp: ctx.sourceIp, secureTransport: ctx.secureTransport, now, region: ctx.region },
      service.authorization(operation, input, ctx),
    );
    return (handler as (c: RequestContext, i: unknown) => Promise<unknown>)(ctx, input);
  }

  private asAwsError(e: unknown, codec: ProtocolCodec, requestId: string): AwsError {
    if (e instanceof AwsError) return e;
    if (e instanceof AccessDeniedError) return codec.accessDenied(e.message);
    if (e instanceof BodyTooLargeError) return new AwsError('SerializationException', 'Request body too large', 413);
    if (e instanceof BodyBudgetExceededError) {
      this.deps.log.warn({ requestId, limit: this.deps.bodyBudget.limit }, 'request throttled: too many request body bytes in flight');
      return codec.throttled();
    }
    const full = storageFullCode(e);
    if (full !== undefined) {
      this.deps.log.error({ err: e, requestId }, 'storage is full');
      return codec.storageFull(full);
    }
    this.deps.log.error({ err: e, requestId }, 'unhandled error in AWS request');
    return commonErrors.internalFailure();
  }

  private send(
    res: ServerResponse,
    requestId: string,
    status: number,
    contentType: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
      ...extra,
    });
    res.end(body);
  }
}

export { JSON_CONTENT_TYPE };
