/**
 * Plain-HTTP registry client for end-to-end tests: node:http (so the Host header can name an
 * account's registry host, which fetch forbids), Basic auth with an ECR token, and a few push
 * helpers. Bodies may be Buffers or streams (large uploads are generated, never held).
 */
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createCipheriv, createHash } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ecrClient, type Credentials } from './clients.js';
import { ROOT } from './server.js';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  /** Overrides the Host header (e.g. `111122223333.dkr.ecr.us-east-1.localhost:PORT`). */
  host?: string;
  /** `null`: send no Authorization header. */
  password?: string | null;
}

export async function httpRequest(port: number, method: string, path: string, opts: RequestOptions & { auth?: string } = {}): Promise<HttpResult> {
  const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
  if (opts.host !== undefined) headers.host = opts.host;
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') headers['content-length'] ??= Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body) || typeof body === 'string') req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

export const basic = (password: string, user = 'AWS'): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The registry password GetAuthorizationToken hands out (what `aws ecr get-login-password` prints). */
export async function loginPassword(url: string, credentials: Credentials = ROOT): Promise<string> {
  const ecr = ecrClient(url, credentials);
  try {
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    return Buffer.from(res.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
  } finally {
    ecr.destroy();
  }
}

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A registry client bound to one server and token. */
export class Registry {
  constructor(
    readonly port: number,
    readonly password: string,
    readonly host?: string,
  ) {}

  request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const password = opts.password === undefined ? this.password : opts.password;
    return httpRequest(this.port, method, path, {
      ...opts,
      ...(opts.host === undefined && this.host !== undefined ? { host: this.host } : {}),
      ...(password !== null ? { auth: basic(password) } : {}),
    });
  }

  /** Monolithic push (`POST ?digest=`); returns the digest. */
  async pushBlob(name: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    const res = await this.request('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status !== 201) throw new Error(`push blob ${digest}: ${res.status} ${res.text}`);
    return digest;
  }

  async pushManifest(name: string, reference: string, manifest: Buffer | string, mediaType: string): Promise<HttpResult> {
    return this.request('PUT', `/v2/${name}/manifests/${reference}`, { body: manifest, headers: { 'content-type': mediaType } });
  }

  /** Pushes every blob, then the manifest under `reference`; returns the manifest digest. */
  async pushImage(name: string, reference: string, image: { manifest: Buffer; mediaType: string; blobs: readonly Buffer[] }): Promise<string> {
    for (const blob of image.blobs) await this.pushBlob(name, blob);
    const res = await this.pushManifest(name, reference, image.manifest, image.mediaType);
    if (res.status !== 201) throw new Error(`push manifest ${name}:${reference}: ${res.status} ${res.text}`);
    return String(res.headers['docker-content-digest']);
  }
}

/**
 * `count` pseudo-random bytes from `seed` (an AES-CTR keystream: fast, reproducible), never
 * holding more than `chunk` bytes at a time.
 */
export function randomStream(count: number, seed = 1, chunk = 1 << 20): Readable {
  const key = createHash('sha256').update(`seed-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  let left = count;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** Deterministic bytes held in memory (small blobs). */
export async function randomBytes(count: number, seed = 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of randomStream(count, seed)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
