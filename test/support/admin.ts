import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from './clients.js';
import { REGION, ROOT } from './server.js';

/**
 * A request to the admin API (`/_simfra/...`), SigV4-signed with the default account's root
 * credentials the way `curl --aws-sigv4 "aws:amz:us-east-1:simfra" --user KEY:SECRET` signs.
 * Pass `credentials: null` for an unsigned request.
 */
export async function adminFetch(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; credentials?: Credentials | null } = {},
): Promise<Response> {
  const u = new URL(`/_simfra${path}`, baseUrl);
  const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
  let headers: Record<string, string> = { host: u.host, ...(init.headers ?? {}) };
  if (init.credentials !== null) {
    const signer = new SignatureV4({
      credentials: init.credentials ?? ROOT,
      region: REGION,
      service: 'simfra',
      sha256: Hash.bind(null, 'sha256'),
    });
    const query: Record<string, string> = {};
    u.searchParams.forEach((v, k) => (query[k] = v));
    const signed = await signer.sign({
      method,
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: u.pathname,
      query,
      headers,
      body: init.body,
    });
    headers = signed.headers as Record<string, string>;
  }
  const { host: _host, ...sendHeaders } = headers;
  return fetch(u, { method, headers: sendHeaders, body: init.body });
}

/** Runs a background job now (`POST /_simfra/jobs/{name}`) and returns its JSON answer. */
export async function runJob(baseUrl: string, name: string, options?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await adminFetch(baseUrl, `/jobs/${name}`, { method: 'POST', body: options ? JSON.stringify(options) : '' });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`job ${name}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}
