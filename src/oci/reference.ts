/**
 * Names and references of the OCI distribution spec.
 * — source: https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-manifests
 */
import { InvalidDigestError, parseDigest, type Digest } from './digest.js';

const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/**
 * Not a limit of the grammar; it only keeps absurd inputs away from the regular expression.
 * Length limits of their own belong to the callers (ECR allows 2–256 characters).
 */
const MAX_NAME_INPUT = 4096;

/** Whether `name` is a repository name of the distribution spec (`library/ubuntu`, `a/b-c/d__e`). */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_INPUT && REPOSITORY_NAME.test(name);
}

/** Whether `tag` is a tag of the distribution spec (at most 128 characters). */
export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

export type Reference = { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'digest'; readonly digest: Digest };

export class InvalidReferenceError extends Error {
  constructor(
    readonly input: string,
    /** What the input looked like: a digest (it has a colon) or a tag. */
    readonly kind: 'tag' | 'digest',
    readonly reason: string,
    /** Set for a well-formed digest of an algorithm we do not support (sha512). */
    readonly unsupported = false,
  ) {
    super(`invalid reference ${JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

/**
 * The `<reference>` of `/v2/<name>/manifests/<reference>`: a digest when it contains a colon
 * (tags cannot), otherwise a tag. Throws `InvalidReferenceError`.
 */
export function parseReference(reference: string): Reference {
  if (reference.includes(':')) {
    try {
      return { kind: 'digest', digest: parseDigest(reference) };
    } catch (e) {
      if (e instanceof InvalidDigestError) {
        throw new InvalidReferenceError(reference, 'digest', e.reason, e.kind === 'unsupported');
      }
      throw e;
    }
  }
  if (!isTag(reference)) {
    throw new InvalidReferenceError(reference, 'tag', 'a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}');
  }
  return { kind: 'tag', tag: reference };
}
