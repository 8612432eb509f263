/**
 * ECR's ImageIdentifier (`{imageDigest?, imageTag?}`) as the image domain's Reference, with the
 * checks ECR makes of it. Batch operations turn a bad id into a failure entry; single-image
 * operations refuse it with InvalidParameterException.
 */
import type { RequestContext } from '../../aws/context.js';
import { ImageError } from '../../images/errors.js';
import type { ImageRecord } from '../../images/images.js';
import { InvalidParameterException } from '../../model/ecr/errors.js';
import type { ImageFailure, ImageIdentifier } from '../../model/ecr/types.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { Reference } from '../../oci/reference.js';
import type { RepoKey } from '../../store/meta/meta-store.js';
import { messages } from './messages.js';
import { registryOf } from './repositories.js';

/**
 * ECR's tags: the distribution spec's tag grammar, up to the model's 300 characters (the model
 * has no pattern; the grammar is what docker and the registry accept).
 */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}$/;

export const isImageTag = (tag: string): boolean => TAG.test(tag);

/** The repository an operation addresses. */
export const repoKeyOf = (ctx: RequestContext, input: { registryId?: string; repositoryName: string }): RepoKey => ({
  accountId: registryOf(ctx, input),
  region: ctx.region,
  name: input.repositoryName,
});

export type ResolvedId =
  | { ok: true; ref: Reference; digest?: Digest; tag?: string }
  | { ok: false; failure: Required<Pick<ImageFailure, 'failureCode' | 'failureReason'>> };

/** The reference an id names: its digest when it has one (the tag is then checked against it), else its tag. */
export function resolveImageId(id: ImageIdentifier): ResolvedId {
  const { imageDigest, imageTag } = id;
  if (imageDigest === undefined && imageTag === undefined) {
    return { ok: false, failure: { failureCode: 'MissingDigestAndTag', failureReason: messages.failure.missingDigestAndTag } };
  }
  if (imageDigest !== undefined && !isDigest(imageDigest)) {
    return { ok: false, failure: { failureCode: 'InvalidImageDigest', failureReason: messages.failure.invalidImageDigest } };
  }
  if (imageTag !== undefined && !isImageTag(imageTag)) {
    return { ok: false, failure: { failureCode: 'InvalidImageTag', failureReason: messages.failure.invalidImageTag } };
  }
  if (imageDigest !== undefined) {
    return { ok: true, ref: { kind: 'digest', digest: imageDigest }, digest: imageDigest, ...(imageTag !== undefined ? { tag: imageTag } : {}) };
  }
  return { ok: true, ref: { kind: 'tag', tag: imageTag! } };
}

/** For operations on one image: a bad id ends the call. */
export function requireImageId(id: ImageIdentifier, member = 'imageId'): { ref: Reference; digest?: Digest; tag?: string } {
  const resolved = resolveImageId(id);
  if (!resolved.ok) throw new InvalidParameterException(messages.invalidParameter(member, resolved.failure.failureReason));
  return resolved;
}

/** An id with both a digest and a tag names the image only when the tag is one of its tags. */
export const tagMatches = (image: ImageRecord, tag: string | undefined): boolean => tag === undefined || image.tags.includes(tag);

/** ImageNotFound for an id, in the words of ImageNotFoundException. */
export function imageNotFound(key: RepoKey, id: ImageIdentifier): ImageError<'ImageNotFound'> {
  return new ImageError('ImageNotFound', {
    name: key.name,
    registryId: key.accountId,
    ...(id.imageDigest !== undefined ? { imageDigest: id.imageDigest } : {}),
    ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
  });
}

/** The image one id names (digest and tag must agree). Throws ImageError (RepositoryNotFound, ImageNotFound). */
export async function getImageById(
  images: { getImage(key: RepoKey, ref: Reference): Promise<ImageRecord> },
  key: RepoKey,
  id: ImageIdentifier,
  member?: string,
): Promise<ImageRecord> {
  const { ref, tag } = requireImageId(id, member);
  const image = await images.getImage(key, ref).catch((e: unknown) => {
    // The message names the id as the caller gave it (both members).
    if (e instanceof ImageError && e.kind === 'ImageNotFound') throw imageNotFound(key, id);
    throw e;
  });
  if (!tagMatches(image, ref.kind === 'digest' ? tag : undefined)) throw imageNotFound(key, id);
  return image;
}

/** The id an answer names an image by: its digest, and the tag the caller used, if any. */
export const answerId = (image: ImageRecord, id: ImageIdentifier): ImageIdentifier => ({
  imageDigest: image.digest,
  ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
});
