import type { HttpFront } from '../gateway/server.js';

/** Placeholder until the registry lands: every /v2 request gets an OCI error body. */
export function registryFront(): HttpFront {
  return {
    async handle(_req, res) {
      const body = JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.', detail: null }] });
      res.writeHead(405, {
        'content-type': 'application/json; charset=utf-8',
        'docker-distribution-api-version': 'registry/2.0',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return { route: 'registry:unsupported' };
    },
  };
}
