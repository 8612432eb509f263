/**
 * Time-limited download URLs for layers (GetDownloadUrlForLayer). ECR hands out a presigned S3
 * URL; simfra serves the layer itself, on its own port, at
 * `/ecr-layers/{account}/{region}/{repository}/{digest}?X-Simfra-Expires=…&X-Simfra-Signature=…`,
 * and the signature (HMAC-SHA256 over the path and the expiry, with a key kept in the metadata
 * store) is the only credential: plain `curl` downloads it, as it would the S3 URL. Pure: the
 * service signs, the registry's download route verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isDigest, type Digest } from '../oci/digest.js';
import { isRepositoryName } from '../oci/reference.js';

export const LAYER_DOWNLOAD_PREFIX = '/ecr-layers/';
export const EXPIRES_PARAM = 'X-Simfra-Expires';
export const SIGNATURE_PARAM = 'X-Simfra-Signature';

export interface LayerUrlClaims {
  accountId: string;
  region: string;
  /** Repository name. */
  name: string;
  digest: Digest;
  expiresAt: Date;
}

export type LayerUrlCheck =
  | { ok: true; claims: LayerUrlClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

const PATH = /^\/ecr-layers\/(\d{12})\/([a-z0-9-]+)\/(.+)\/(sha256:[a-f0-9]{64})$/;

export class LayerUrls {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The path and query of a download URL (the caller puts its scheme and host in front). */
  pathFor(claims: LayerUrlClaims): string {
    const path = `${LAYER_DOWNLOAD_PREFIX}${claims.accountId}/${claims.region}/${claims.name}/${claims.digest}`;
    const expires = Math.floor(claims.expiresAt.getTime() / 1000);
    return `${path}?${EXPIRES_PARAM}=${expires}&${SIGNATURE_PARAM}=${this.#sign(path, expires)}`;
  }

  /** Checks the path and query of a download request at `now`. */
  verify(pathname: string, query: URLSearchParams, now: Date): LayerUrlCheck {
    const m = PATH.exec(pathname);
    const expires = Number(query.get(EXPIRES_PARAM));
    const signature = query.get(SIGNATURE_PARAM) ?? '';
    if (m === null || !Number.isSafeInteger(expires) || !/^[a-f0-9]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };
    const [, accountId = '', region = '', name = '', digest = ''] = m;
    if (!isRepositoryName(name) || !isDigest(digest)) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.#sign(pathname, expires), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'signature' };
    if (now.getTime() >= expires * 1000) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { accountId, region, name, digest, expiresAt: new Date(expires * 1000) } };
  }

  #sign(path: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`GET\n${path}\n${expires}`).digest('hex');
  }
}
