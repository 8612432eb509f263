/**
 * A client of a remote Docker Registry V2 / OCI distribution registry, as ECR's pull-through
 * cache uses its upstreams: `GET /v2/`, manifests and blobs, with the registry token dance
 * (a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → a token from the realm,
 * Basic-authenticated with the credentials when there are any; or a `Basic` challenge answered
 * with them) — source: distribution "Token Authentication Specification".
 *
 * Node's own fetch; blobs come back as streams, never buffered. Outgoing only: it knows nothing
 * of simfra's stores.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MANIFEST_MEDIA_TYPES, normalizeMediaType } from '../oci/media-types.js';

export interface UpstreamCredentials {
  username: string;
  password: string;
}

export type UpstreamErrorKind = 'not-found' | 'unauthorized' | 'unreachable' | 'bad-response';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface UpstreamManifest {
  bytes: Buffer;
  mediaType: string;
  /** The digest the upstream said (Docker-Content-Digest), if it said one. */
  digest?: string;
}

/** Most bytes of a manifest read from an upstream (ECR's own limit is 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…"` → its scheme and parameters. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]!); p !== null; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

export class RegistryClient {
  readonly #base: string;
  readonly #credentials: UpstreamCredentials | undefined;
  /** Authorization header per scope, once the dance has been done. */
  readonly #auth = new Map<string, string>();

  constructor(baseUrl: string, credentials?: UpstreamCredentials) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#credentials = credentials;
  }

  /** `GET /v2/`: whether the registry answers and takes the credentials. */
  async ping(): Promise<void> {
    const res = await this.#request('/v2/', 'GET', {}, '');
    await res.body?.cancel();
    if (res.status !== 200) throw this.#failure(res.status, 'the registry');
  }

  async manifest(name: string, reference: string, opts: { head?: boolean } = {}): Promise<UpstreamManifest> {
    const res = await this.#request(`/v2/${name}/manifests/${reference}`, opts.head ? 'HEAD' : 'GET', { accept: MANIFEST_MEDIA_TYPES.join(', ') }, `repository:${name}:pull`);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw this.#failure(res.status, `${name}:${reference}`);
    }
    const mediaType = normalizeMediaType(res.headers.get('content-type') ?? undefined) ?? '';
    const digest = res.headers.get('docker-content-digest') ?? undefined;
    if (opts.head) return { bytes: Buffer.alloc(0), mediaType, ...(digest ? { digest } : {}) };
    const bytes = await readCapped(res, MAX_MANIFEST_BYTES);
    return { bytes, mediaType, ...(digest ? { digest } : {}) };
  }

  /** A blob's bytes as a stream; the caller verifies its digest while storing it. */
  async blob(name: string, digest: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.#request(`/v2/${name}/blobs/${digest}`, 'GET', {}, `repository:${name}:pull`, signal);
    if (res.status !== 200 || res.body === null) {
      await res.body?.cancel();
      throw this.#failure(res.status, `${name}@${digest}`);
    }
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  async #request(path: string, method: string, headers: Record<string, string>, scope: string, signal?: AbortSignal): Promise<Response> {
    const known = this.#auth.get(scope);
    let res = await this.#fetch(path, method, known ? { ...headers, authorization: known } : headers, signal);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    await res.body?.cancel();
    if (!challenge) return res;
    const authorization = await this.#answer(challenge, scope);
    if (authorization === undefined) return res;
    this.#auth.set(scope, authorization);
    res = await this.#fetch(path, method, { ...headers, authorization }, signal);
    return res;
  }

  async #answer(challenge: Challenge, scope: string): Promise<string | undefined> {
    const basic = this.#credentials && `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
    if (challenge.scheme === 'basic') return basic;
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const wanted = scope || challenge.params.scope;
    if (wanted) url.searchParams.set('scope', wanted);
    let res: Response;
    try {
      res = await fetch(url, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new UpstreamError('unreachable', `cannot reach the token service ${url.origin}: ${(e as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new UpstreamError('unauthorized', 'the upstream registry refused the credentials');
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new UpstreamError('bad-response', `the token service answered ${res.status}`);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (token === undefined) throw new UpstreamError('bad-response', 'the token service answered no token');
    return `Bearer ${token}`;
  }

  async #fetch(path: string, method: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    try {
      // The timeout bounds the wait for the answer's headers; a long blob body then streams.
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      const controller = new AbortController();
      const onTimeout = () => controller.abort(timeout.reason);
      timeout.addEventListener('abort', onTimeout, { once: true });
      if (signal) signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      const res = await fetch(`${this.#base}${path}`, { method, headers, signal: controller.signal, redirect: 'follow' });
      timeout.removeEventListener('abort', onTimeout);
      return res;
    } catch (e) {
      throw new UpstreamError('unreachable', `cannot reach ${this.#base}: ${(e as Error).message}`);
    }
  }

  #failure(status: number, what: string): UpstreamError {
    if (status === 404) return new UpstreamError('not-found', `${what} was not found upstream`);
    if (status === 401 || status === 403) return new UpstreamError('unauthorized', `the upstream registry refused access to ${what} (${status})`);
    return new UpstreamError('bad-response', `the upstream registry answered ${status} for ${what}`);
  }
}

async function readCapped(res: Response, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body === null) return Buffer.alloc(0);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new UpstreamError('bad-response', `the upstream manifest is larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
