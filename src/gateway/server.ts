import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AwsFront } from '../aws/front.js';
import { makeClassifier } from './classify.js';
import { hostRefusal, makeHostPolicy } from './hosts.js';

/** A front that answers HTTP requests itself (the registry, the admin API). */
export interface HttpFront {
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { requestId: string; accountId?: string; region?: string; signal: AbortSignal },
  ): Promise<{ route: string }>;
  /** Answers 403 with `message` in this front's error format (a Host simfra does not serve). */
  refuse(req: IncomingMessage, res: ServerResponse, ctx: { requestId: string }, message: string): void;
}

export interface GatewayDeps {
  aws: AwsFront;
  registry: HttpFront;
  /** GetDownloadUrlForLayer's presigned layer URLs. */
  layerDownloads: HttpFront;
  admin: HttpFront;
  registryDomain: string;
  /** The bind address and SIMFRA_ALLOWED_HOSTS, which decide the Host names answered. */
  bindHost: string;
  allowedHosts: readonly string[];
  log: Logger;
}

/** The one HTTP server: classifies each request, gives it a request id and one access-log line. */
export function createGateway(deps: GatewayDeps): Server {
  const classify = makeClassifier(deps.registryDomain);
  const hostAllowed = makeHostPolicy({ registryDomain: deps.registryDomain, bindHost: deps.bindHost, allowedHosts: deps.allowedHosts });
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
    const route = classify(req.headers.host, q < 0 ? url : url.slice(0, q));
    const done = (fields: Record<string, unknown>) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.log.info(
        { requestId, method: req.method, ...fields, status: res.statusCode, ms: Math.round(ms * 100) / 100, bytes: res.getHeader('content-length') },
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
    const host = req.headers.host;
    if (!hostAllowed(host)) {
      // Refused before anything is read or authenticated; the connection closes with the answer.
      res.setHeader('connection', 'close');
      const message = hostRefusal(host ?? '', deps.registryDomain);
      if (route.front === 'aws') deps.aws.refuse(req, res, requestId, message);
      else (route.front === 'registry' ? deps.registry : route.front === 'layer-download' ? deps.layerDownloads : deps.admin).refuse(req, res, { requestId }, message);
      done({ service: route.front, refused: 'host', host });
      return;
    }
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
