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
  limits: ConnectionLimits;
}

/** Socket limits (config.ts documents each): time out on silence and slow headers, never on a steady upload. */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** 0 = a request may take as long as it keeps moving. */
  requestTimeoutMs: number;
  maxConnections: number;
}

/** The one HTTP server: classifies each request, gives it a request id and one access-log line. */
export function createGateway(deps: GatewayDeps): Server {
  const classify = makeClassifier(deps.registryDomain);
  const { limits } = deps;
  const hostAllowed = makeHostPolicy({ registryDomain: deps.registryDomain, bindHost: deps.bindHost, allowedHosts: deps.allowedHosts });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
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
  };
  const server = createServer(
    {
      // Longer than the ALB-style 60 s clients assume, shorter than the idle timeout.
      keepAliveTimeout: Math.min(65_000, limits.idleTimeoutMs),
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node checks the header and request timeouts (its default, 30 s, would let a
      // short timeout run up to 30 s late).
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    handle,
  );
  // Inactivity, in or out, closes the socket: a stalled body or a silent connection, whatever
  // its state. Steady transfers reset the timer with every chunk, so large pushes are unaffected.
  server.setTimeout(limits.idleTimeoutMs);
  // Over the cap, Node closes new sockets as they arrive; the ones open keep being served.
  server.maxConnections = limits.maxConnections;
  let lastDropLog = 0;
  server.on('drop', () => {
    // One line a second at most: a flood of refused sockets must not flood the log too.
    const now = Date.now();
    if (now - lastDropLog < 1000) return;
    lastDropLog = now;
    deps.log.warn({ maxConnections: limits.maxConnections }, 'connection refused: too many open connections');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // Headers (or, with a request timeout, the whole request) too slow.
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    } else {
      // Docker tries TLS first on a plain-HTTP registry; answer the garbage with a 400 and move on.
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    }
  });
  return server;
}
