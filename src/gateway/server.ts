import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AwsFront } from '../aws/front.js';
import { makeClassifier } from './classify.js';

/** A front that answers HTTP requests itself (the registry, the admin API). */
export interface HttpFront {
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { requestId: string; accountId?: string; region?: string; signal: AbortSignal },
  ): Promise<{ route: string }>;
}

export interface GatewayDeps {
  aws: AwsFront;
  registry: HttpFront;
  /** GetDownloadUrlForLayer's presigned layer URLs. */
  layerDownloads: HttpFront;
  admin: HttpFront;
  registryDomain: string;
  log: Logger;
}

/** The one HTTP server: classifies each request, gives it a request id and one access-log line. */
export function createGateway(deps: GatewayDeps): Server {
  const classify = makeClassifier(deps.registryDomain);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const ac = new AbortController();
    // Aborting builds a DOMException; only a client that left before the answer needs one.
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = classify(req.headers.host, path);
    const done = (fields: Record<string, unknown>) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path without its query: presigned layer URLs carry their signature there.
      deps.log.info(
        { requestId, method: req.method, path, ...fields, status: res.statusCode, ms: Math.round(ms * 100) / 100, bytes: res.getHeader('content-length') },
        'request',
      );
    };
    const fail = (err: unknown) => {
      deps.log.error({ err, requestId }, 'request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"message":"internal error"}');
      } else {
        res.destroy();
      }
    };
    if (route.front === 'aws') {
      deps.aws.handle(req, res, requestId).then((o) => done({ service: o.service, operation: o.operation }), fail);
    } else {
      const front = route.front === 'registry' ? deps.registry : route.front === 'layer-download' ? deps.layerDownloads : deps.admin;
      const ctx = { requestId, signal: ac.signal, accountId: route.front === 'registry' ? route.accountId : undefined, region: route.front === 'registry' ? route.region : undefined };
      front.handle(req, res, ctx).then((o) => done({ service: route.front, route: o.route }), fail);
    }
  });
  // Docker tries TLS first on a plain-HTTP registry; answer the garbage with a 400 and move on.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
