/**
 * The registry front: Docker Registry V2 / OCI distribution v1.1 on the gateway's port. Each
 * request is matched to a route, authenticated (Basic, ECR token), authorized (the route's IAM
 * actions, actions.ts) and handed to its handler; every error leaves through the catalogue.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpFront } from '../gateway/server.js';
import type { AuthzRequest } from '../iam/authorize.js';
import { isRepositoryName } from '../oci/reference.js';
import { routeAuthorization } from './actions.js';
import { authenticate } from './auth.js';
import type { RegistryDeps, RegistryRequest } from './context.js';
import { RegistryError } from './errors.js';
import { sendBody, sendError } from './http.js';
import { toRegistryError } from './map-errors.js';
import { matchRoute } from './routes.js';

/** ECR's repository names are 2–256 characters of the distribution grammar — source: ECR model (RepositoryName). */
const validName = (name: string): boolean => name.length >= 2 && name.length <= 256 && isRepositoryName(name);

/** The routes a push starts with: a missing repository may be created on push there. */
const PUSH_ROUTES: ReadonlySet<string> = new Set(['upload.start', 'manifest.put']);

export function registryFront(deps: RegistryDeps): HttpFront {
  return {
    refuse(req, res, _ctx, message) {
      res.setHeader('docker-distribution-api-version', 'registry/2.0');
      sendError(req, res, new RegistryError('DENIED', { message }));
    },
    async handle(req: IncomingMessage, res: ServerResponse, ctx): Promise<{ route: string }> {
      // Every answer of the registry says which protocol it speaks — source: distribution-spec v1.1.
      res.setHeader('docker-distribution-api-version', 'registry/2.0');
      const accountId = ctx.accountId ?? deps.defaultAccountId;
      const region = ctx.region ?? deps.defaultRegion;
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      const method = req.method ?? 'GET';
      const match = matchRoute(method, url.pathname);
      if (match.kind === 'not-found') {
        // What ECR answers off its routes: distribution's plain-text 404 — source: docker/for-mac#1876.
        if (!req.complete) req.resume();
        sendBody(res, 404, '404 page not found\n', { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
        return { route: 'registry:not-found' };
      }
      const routeId = match.kind === 'route' ? match.route.id : 'method-not-allowed';
      try {
        const principal = await authenticate(req.headers.authorization, req.headers.host, deps.tokens, deps.clock.now(), {
          region,
          identityOf: deps.principalIdentity,
        });
        if (match.kind === 'method-not-allowed') throw new RegistryError('UNSUPPORTED');
        if (match.name !== '' && !validName(match.name)) throw new RegistryError('NAME_INVALID', { detail: { name: match.name } });
        const repo = { accountId, region, name: match.name };
        const authorize = (requests: readonly AuthzRequest[]) =>
          deps.authorizer.authorize(
            { principal, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', secureTransport: false, now: deps.clock.now(), region },
            requests,
          );
        const requests = routeAuthorization(match.route.id, method, url, repo);
        if (requests.length > 0) await authorize(requests);
        if (PUSH_ROUTES.has(match.route.id)) await deps.createOnPush?.(repo, authorize);
        const pulledThrough = match.route.id === 'manifest.get' ? await deps.pullThrough?.(repo, match.ref, authorize, method === 'GET' ? principal : undefined) : undefined;
        const r: RegistryRequest = {
          req,
          res,
          signal: ctx.signal,
          url,
          accountId,
          region,
          repo,
          ref: match.ref,
          uuid: match.uuid,
          principal,
          ...(pulledThrough !== undefined ? { pulledThrough } : {}),
          authorize,
          deps,
        };
        await match.route.handle(r);
      } catch (e) {
        const err = toRegistryError(e);
        if (ctx.signal.aborted) {
          // The client hung up (mid-upload, mid-download): the store has rolled back; nobody to answer.
          deps.log.debug({ err: e, requestId: ctx.requestId, route: routeId }, 'registry client went away');
          res.destroy();
          return { route: `registry:${routeId}` };
        }
        if (err === undefined) deps.log.error({ err: e, requestId: ctx.requestId, route: routeId }, 'registry request failed');
        else if (err.code === 'STORAGE_FULL') deps.log.error({ err: e, requestId: ctx.requestId, route: routeId }, 'storage is full');
        if (res.headersSent) {
          // Mid-body (a blob stream broke): all we can do is cut the connection.
          res.destroy();
        } else {
          sendError(req, res, err ?? new RegistryError('UNKNOWN'));
        }
      }
      return { route: `registry:${routeId}` };
    },
  };
}
