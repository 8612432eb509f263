import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from './clients.js';
import { REGION, ROOT } from './server.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): Record<string, unknown>;
}

/** A hand-made AWS JSON 1.1 call, signed with the SDK's signer (or not), for protocol-level tests. */
export async function jsonCall(
  url: string,
  target: string,
  body: string,
  opts: {
    credentials?: Credentials | null;
    region?: string;
    signingDate?: Date;
    service?: string;
    /** Headers sent but left out of SignedHeaders. */
    unsigned?: string[];
    tamper?: (h: Record<string, string>) => void;
  } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  let headers: Record<string, string> = {
    host: u.host,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': target,
  };
  if (opts.credentials !== null) {
    const signer = new SignatureV4({
      credentials: opts.credentials ?? ROOT,
      region: opts.region ?? REGION,
      service: opts.service ?? 'ecr',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body },
      { signingDate: opts.signingDate, unsignableHeaders: new Set(opts.unsigned ?? []) },
    );
    headers = signed.headers as Record<string, string>;
  }
  opts.tamper?.(headers);
  const { host: _host, ...sendHeaders } = headers;
  const res = await fetch(url, { method: 'POST', headers: sendHeaders, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** A hand-made AWS query call (IAM, STS): a form POSTed to `/`, signed for `service` (or not). */
export async function queryCall(
  url: string,
  form: string,
  opts: { service?: string; credentials?: Credentials | null; tamper?: (h: Record<string, string>) => void } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  let headers: Record<string, string> = { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (opts.credentials !== null) {
    const signer = new SignatureV4({
      credentials: opts.credentials ?? ROOT,
      region: REGION,
      service: opts.service ?? 'iam',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body: form });
    headers = signed.headers as Record<string, string>;
  }
  opts.tamper?.(headers);
  const { host: _host, ...sendHeaders } = headers;
  const res = await fetch(url, { method: 'POST', headers: sendHeaders, body: form });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}
