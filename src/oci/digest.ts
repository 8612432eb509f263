/**
 * Content digests as the OCI image spec defines them (`algorithm ":" encoded`).
 *
 * A `Digest` is a string that has been checked: the only ways to get one are `parseDigest`,
 * `isDigest`, `sha256Digest` and a `Digester`. ECR (and so simfra) stores and addresses content
 * by sha256 only; a well-formed sha512 digest is recognised but rejected as unsupported, the way
 * ECR answers `sha512:` references.
 * — source: https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#digests
 */
import { createHash, type Hash } from 'node:crypto';

declare const digestBrand: unique symbol;

/** A validated, supported digest: `sha256:` followed by 64 lowercase hex characters. */
export type Digest = `sha256:${string}` & { readonly [digestBrand]: true };

/** The algorithms whose encoded form the OCI spec registers. */
export const DigestAlgorithm = {
  sha256: 'sha256',
  sha512: 'sha512',
} as const;
export type DigestAlgorithm = (typeof DigestAlgorithm)[keyof typeof DigestAlgorithm];

/** The only algorithm content is stored and verified with. */
export const SUPPORTED_ALGORITHM = DigestAlgorithm.sha256;

export type InvalidDigestKind =
  /** Not `algorithm ":" encoded` at all, or a registered algorithm with a wrong encoded part. */
  | 'invalid'
  /** Well-formed, but not an algorithm we hash with (sha512, blake3, …). */
  | 'unsupported';

export class InvalidDigestError extends Error {
  constructor(
    readonly input: string,
    readonly kind: InvalidDigestKind,
    readonly reason: string,
  ) {
    super(`invalid digest ${JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input)}: ${reason}`);
    this.name = 'InvalidDigestError';
  }
}

// algorithm-component (algorithm-separator algorithm-component)* ":" encoded
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ENCODED: Readonly<Record<DigestAlgorithm, RegExp>> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};
/** Longer than any registered digest; checked before the regular expressions run. */
const MAX_LENGTH = 256;

function isRegistered(algorithm: string): algorithm is DigestAlgorithm {
  return Object.hasOwn(ENCODED, algorithm);
}

/** Parses a digest, throwing `InvalidDigestError` when it is malformed or not sha256. */
export function parseDigest(input: string): Digest {
  if (input.length > MAX_LENGTH || !GRAMMAR.test(input)) {
    throw new InvalidDigestError(input, 'invalid', 'expected algorithm ":" encoded');
  }
  const colon = input.indexOf(':');
  const algorithm = input.slice(0, colon);
  const encoded = input.slice(colon + 1);
  if (!isRegistered(algorithm)) {
    throw new InvalidDigestError(input, 'unsupported', `unsupported digest algorithm ${algorithm}`);
  }
  if (!ENCODED[algorithm].test(encoded)) {
    throw new InvalidDigestError(input, 'invalid', `${algorithm} digest must be lowercase hex of the right length`);
  }
  if (algorithm !== SUPPORTED_ALGORITHM) {
    throw new InvalidDigestError(input, 'unsupported', `unsupported digest algorithm ${algorithm}`);
  }
  return input as Digest;
}

/** True for a valid sha256 digest. */
export function isDigest(input: unknown): input is Digest {
  return typeof input === 'string' && input.length === 71 && input.startsWith('sha256:') && ENCODED.sha256.test(input.slice(7));
}

/** The hex part of a digest (what the blob store uses as a file name). */
export function digestHex(digest: Digest): string {
  return digest.slice(SUPPORTED_ALGORITHM.length + 1);
}

/** The digest of bytes held in memory (manifests, configs, test data). */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

/**
 * A running sha256 over bytes that arrive in pieces. `digest()` does not finalise, so it can be
 * asked at any point (an ECR chunked upload reports the digest of what it has so far), and
 * `copy()` checkpoints the state so a failed append can be rolled back.
 */
export interface Digester {
  /** Bytes hashed so far. */
  readonly size: number;
  update(data: Uint8Array | string): this;
  digest(): Digest;
  copy(): Digester;
}

class NodeDigester implements Digester {
  #size: number;
  constructor(
    private readonly hash: Hash,
    size: number,
  ) {
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  update(data: Uint8Array | string): this {
    this.hash.update(data);
    this.#size += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return this;
  }

  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}` as Digest;
  }

  copy(): Digester {
    return new NodeDigester(this.hash.copy(), this.#size);
  }
}

export function createDigester(): Digester {
  return new NodeDigester(createHash(SUPPORTED_ALGORITHM), 0);
}
