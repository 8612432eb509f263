/**
 * `GET`/`HEAD /ecr-layers/{account}/{region}/{repository}/{digest}?X-Simfra-Expires=…&X-Simfra-Signature=…`:
 * the URLs GetDownloadUrlForLayer hands out. ECR's are presigned S3 URLs, so this route answers
 * as S3 does: no other credential than the signature, ranges honoured, errors as S3's XML
 * (AccessDenied "Request has expired", SignatureDoesNotMatch, NoSuchKey). The layer streams from
 * the blob store, as a registry blob GET does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendStream } from '../store/blobs/file-stream.js';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { HttpFront } from '../gateway/server.js';
import { ImageError, isImageError } from '../images/errors.js';
import type { Images } from '../images/images.js';
import type { LayerUrls } from '../images/layer-urls.js';
import { parseRangeHeader, sendBody } from './http.js';
import { escapeXmlText } from '../http/xml.js';

export interface LayerDownloadDeps {
  images: Images;
  urls: LayerUrls;
  clock: Clock;
  log: Logger;
}

/** S3's error codes and texts for what can go wrong with a presigned GET. */
const S3_ERRORS = {
  AccessDenied: { status: 403, message: 'Request has expired' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  AuthorizationQueryParametersError: { status: 400, message: 'Query-string authentication requires the Signature and Expires parameters' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
} as const;

function sendS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  code: keyof typeof S3_ERRORS | `KMS.${string}`,
  requestId: string,
  extra: Record<string, string> = {},
  message?: string,
): void {
  if (!req.complete) req.resume();
  // S3 answers an object whose SSE-KMS key cannot be used with 400 and the KMS exception's name
  // behind "KMS." (KMS.DisabledException, KMS.KMSInvalidStateException, KMS.NotFoundException)
  // — source: Amazon S3 API reference, "Error responses" (List of error codes).
  const known = code.startsWith('KMS.') ? { status: 400, message: '' } : S3_ERRORS[code as keyof typeof S3_ERRORS];
  const status = known.status;
  message = escapeXmlText(message ?? known.message);
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
  sendBody(res, status, body, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...extra });
}

export function layerDownloadFront(deps: LayerDownloadDeps): HttpFront {
  return {
    refuse(req, res, ctx, message) {
      sendS3Error(req, res, 'AccessDenied', ctx.requestId, {}, message);
    },
    async handle(req, res, ctx) {
      const route = { route: 'layer-download' };
      const url = new URL(req.url ?? '/', 'http://download.invalid');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendS3Error(req, res, 'MethodNotAllowed', ctx.requestId, { allow: 'GET, HEAD' });
        return route;
      }
      const check = deps.urls.verify(url.pathname, url.searchParams, deps.clock.now());
      if (!check.ok) {
        const code = check.reason === 'expired' ? 'AccessDenied' : check.reason === 'signature' ? 'SignatureDoesNotMatch' : 'AuthorizationQueryParametersError';
        sendS3Error(req, res, code, ctx.requestId);
        return route;
      }
      const { accountId, region, name, digest } = check.claims;
      const repo = { accountId, region, name };
      try {
        const layer = await deps.images.getLayer(repo, digest);
        const headers = {
          'content-type': 'application/octet-stream',
          etag: `"${digest}"`,
          'accept-ranges': 'bytes',
          'x-amz-request-id': ctx.requestId,
        };
        if (req.method === 'HEAD') {
          res.writeHead(200, { ...headers, 'content-length': layer.size });
          res.end();
          return route;
        }
        const span = parseRangeHeader(req.headers.range, layer.size);
        if (span === 'unsatisfiable') {
          sendS3Error(req, res, 'InvalidRange', ctx.requestId, { 'content-range': `bytes */${layer.size}` });
          return route;
        }
        const { stream } = await deps.images.readLayer(repo, digest, { ...(span !== undefined ? { range: span } : {}), signal: ctx.signal });
        if (span === undefined) {
          res.writeHead(200, { ...headers, 'content-length': layer.size });
        } else {
          res.writeHead(206, { ...headers, 'content-length': span.end - span.start + 1, 'content-range': `bytes ${span.start}-${span.end}/${layer.size}` });
        }
        await sendStream(stream, res, ctx.signal).catch((e: unknown) => {
          // A client that hangs up mid-layer is not an error of ours.
          if (!ctx.signal.aborted) throw e;
        });
      } catch (e) {
        if (res.headersSent) {
          res.destroy();
        } else if (e instanceof ImageError && (e.kind === 'RepositoryNotFound' || e.kind === 'BlobUnknown')) {
          sendS3Error(req, res, 'NoSuchKey', ctx.requestId);
        } else if (isImageError(e, 'KmsKeyUnusable')) {
          sendS3Error(req, res, `KMS.${e.args.kmsError}`, ctx.requestId, {}, e.args.reason);
        } else {
          throw e;
        }
      }
      return route;
    },
  };
}

