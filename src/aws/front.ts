import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { validateInput } from '../model/validate.js';
import type { Clock } from '../clock.js';
import { AccessDeniedError, type Authorizer } from '../iam/authorize.js';
import type { RequestContext } from './context.js';
import { AwsError, commonErrors } from './errors.js';
import { decodeJsonBody, encodeJsonError, encodeJsonOutput, JSON_CONTENT_TYPE, operationFromTarget } from './protocol/json11.js';
import type { AwsService } from './service.js';
import { SigV4Error, type SigV4Verifier } from './sigv4.js';


export interface AwsFrontDeps {
  services: readonly AwsService[];
  verifier: SigV4Verifier;
  authorizer: Authorizer;
  clock: Clock;
  log: Logger;
}

/** What the access log line records about an AWS request. */
export interface AwsRequestOutcome {
  service?: string;
  operation?: string;
  status: number;
}

/** AWS JSON bodies are read whole, with a cap: UploadLayerPart carries up to 20 MiB base64-encoded. */
const MAX_API_BODY = 32 * 1024 * 1024;

class BodyTooLargeError extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function sigV4ErrorAsJson(e: SigV4Error): AwsError {
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
}

/**
 * The AWS side of the gateway: finds the service and operation, verifies SigV4, validates the
 * input against the model, authorizes, calls the handler and encodes the answer.
 */
export class AwsFront {
  private readonly byTargetPrefix = new Map<string, AwsService>();

  constructor(private readonly deps: AwsFrontDeps) {
    for (const service of deps.services) {
      const prefix = service.model.metadata.targetPrefix;
      if (service.protocol === 'json' && prefix) this.byTargetPrefix.set(prefix, service);
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<AwsRequestOutcome> {
    const outcome: AwsRequestOutcome = { status: 200 };
    try {
      const target = req.headers['x-amz-target'];
      if (typeof target !== 'string') throw new AwsError('UnknownOperationException', '', 404);
      const parsed = operationFromTarget(target);
      const service = parsed && this.byTargetPrefix.get(parsed.prefix);
      if (!parsed || !service) throw commonErrors.unknownOperation();
      outcome.service = service.signingName;
      outcome.operation = parsed.operation;
      const output = await this.invokeJson(service, parsed.operation, req, requestId);
      this.send(res, requestId, 200, encodeJsonOutput(output));
    } catch (e) {
      const err = this.asAwsError(e, requestId);
      outcome.status = err.status;
      this.send(res, requestId, err.status, encodeJsonError(err), err.code);
    }
    return outcome;
  }

  private async invokeJson(service: AwsService, operation: string, req: IncomingMessage, requestId: string): Promise<unknown> {
    const body = await readBody(req, MAX_API_BODY);
    const now = this.deps.clock.now();
    let verified;
    try {
      verified = await this.deps.verifier.verify(
        { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers },
        body,
        now,
      );
    } catch (e) {
      throw e instanceof SigV4Error ? sigV4ErrorAsJson(e) : e;
    }
    const handler = service.handlers[operation];
    if (!handler || !(operation in service.model.operations)) throw commonErrors.unknownOperation();
    const ctx: RequestContext = {
      requestId,
      accountId: verified.principal.accountId,
      region: verified.region,
      principal: verified.principal,
      clock: this.deps.clock,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      secureTransport: false,
    };
    const input = validateInput(service.model, operation, decodeJsonBody(body));
    await this.deps.authorizer.authorize(
      { principal: ctx.principal, sourceIp: ctx.sourceIp, secureTransport: ctx.secureTransport, now },
      service.authorization(operation, input, ctx),
    );
    return (handler as (c: RequestContext, i: unknown) => Promise<unknown>)(ctx, input);
  }

  private asAwsError(e: unknown, requestId: string): AwsError {
    if (e instanceof AwsError) return e;
    if (e instanceof AccessDeniedError) return new AwsError('AccessDeniedException', e.message, 400);
    if (e instanceof BodyTooLargeError) return new AwsError('SerializationException', 'Request body too large', 413);
    this.deps.log.error({ err: e, requestId }, 'unhandled error in AWS request');
    return commonErrors.internalFailure();
  }

  private send(res: ServerResponse, requestId: string, status: number, body: string, errorType?: string): void {
    const headers: Record<string, string | number> = {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(body);
  }
}

export { JSON_CONTENT_TYPE };
