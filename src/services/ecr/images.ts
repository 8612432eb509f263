/**
 * The ECR image API: ListImages, DescribeImages, BatchGetImage, PutImage, BatchDeleteImage,
 * ListImageReferrers and UpdateImageStorageClass. Every operation reads and writes the image
 * domain the registry uses (DESIGN.md rule 1): a docker push is described at once, a PutImage is
 * pullable at once, a BatchDeleteImage makes the pull fail at once.
 */
import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { ImageError } from '../../images/errors.js';
import { imageStatus, type ImageRecord } from '../../images/images.js';
import {
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  InvalidParameterException,
  UnableToGetUpstreamImageException,
} from '../../model/ecr/errors.js';
import type {
  BatchDeleteImageRequest,
  BatchDeleteImageResponse,
  BatchGetImageRequest,
  BatchGetImageResponse,
  DescribeImagesRequest,
  DescribeImagesResponse,
  Image,
  ImageDetail,
  ImageFailure,
  ImageIdentifier,
  ImageReferrer,
  ListImageReferrersRequest,
  ListImageReferrersResponse,
  ListImagesRequest,
  ListImagesResponse,
  PutImageRequest,
  PutImageResponse,
  UpdateImageStorageClassRequest,
  UpdateImageStorageClassResponse,
} from '../../model/ecr/types.js';
import { convertManifest, negotiateManifest } from '../../oci/convert.js';
import { isDigest, parseDigest, sha256Digest } from '../../oci/digest.js';
import { parseManifest } from '../../oci/manifest.js';
import type { RepoKey } from '../../store/meta/meta-store.js';
import type { EcrDeps } from './deps.js';
import { pullerOf } from './pull-time-exclusions.js';
import { answerId, getImageById, isImageTag, repoKeyOf, resolveImageId } from './image-ids.js';
import { imageFailureOf } from './map-errors.js';
import { messages, ptcMessages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';
import { scanStatusOf, scanSummaryOf } from './scanning.js';

/** ListImages and DescribeImages answer 100 a page without maxResults — source: ECR model (maxResults). */
const DEFAULT_PAGE = 100;
/** ListImageReferrers answers 20 a page without maxResults — source: ECR model (ListImageReferrers maxResults). */
const DEFAULT_REFERRERS_PAGE = 20;

const scopeOf = (what: string, key: RepoKey): string => `${what}/${key.accountId}/${key.region}/${key.name}`;

/** An image as DescribeImages shows it at `now`. */
export function imageDetail(key: RepoKey, image: ImageRecord, now: Date): ImageDetail {
  const status = imageStatus(image, now);
  const scanStatus = image.scan && scanStatusOf(image, image.scan, now);
  const summary = image.scan && status !== 'ARCHIVED' ? scanSummaryOf(image.scan, now) : undefined;
  return {
    registryId: key.accountId,
    repositoryName: key.name,
    imageDigest: image.digest,
    ...(image.tags.length > 0 ? { imageTags: image.tags } : {}),
    imageSizeInBytes: image.size,
    imagePushedAt: image.pushedAt,
    ...(scanStatus !== undefined ? { imageScanStatus: scanStatus } : {}),
    ...(summary !== undefined ? { imageScanFindingsSummary: summary } : {}),
    imageManifestMediaType: image.mediaType,
    ...(image.artifactType !== undefined ? { artifactMediaType: image.artifactType } : {}),
    ...(image.lastPulledAt !== undefined ? { lastRecordedPullTime: image.lastPulledAt } : {}),
    ...(image.subject !== undefined ? { subjectManifestDigest: image.subject } : {}),
    imageStatus: status,
    ...(image.lastArchivedAt !== undefined ? { lastArchivedAt: image.lastArchivedAt } : {}),
    ...(image.restoredAt !== undefined && image.restoredAt <= now ? { lastActivatedAt: image.restoredAt } : {}),
  };
}

function pageOptions(input: { maxResults?: number; nextToken?: string }, scope: string, fallback: number): { limit: number; after?: string } {
  return {
    limit: input.maxResults ?? fallback,
    ...(input.nextToken !== undefined ? { after: decodeToken(input.nextToken, scope) } : {}),
  };
}

export function listImages(deps: EcrDeps) {
  return async (ctx: RequestContext, input: ListImagesRequest): Promise<ListImagesResponse> => {
    const key = repoKeyOf(ctx, input);
    const scope = scopeOf('list-images', key);
    const page = await deps.images.listImageIds(key, {
      tagStatus: input.filter?.tagStatus ?? 'ANY',
      // "If not specified, only images with ACTIVE status are returned." — source: ECR model, ListImagesFilter.
      status: input.filter?.imageStatus ?? 'ACTIVE',
      ...pageOptions(input, scope, DEFAULT_PAGE),
    });
    return {
      imageIds: page.items.map((i) => ({ imageDigest: i.digest, ...(i.tag !== undefined ? { imageTag: i.tag } : {}) })),
      ...(page.next !== undefined ? { nextToken: encodeToken(page.next, scope) } : {}),
    };
  };
}

export function describeImages(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeImagesRequest): Promise<DescribeImagesResponse> => {
    const key = repoKeyOf(ctx, input);
    const now = ctx.clock.now();
    if (input.imageIds !== undefined) {
      // "This option cannot be used when you specify images with imageIds." — source: ECR model, nextToken.
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw new InvalidParameterException(messages.imageIdsWithPaging);
      }
      const details: ImageDetail[] = [];
      const seen = new Set<string>();
      for (const id of input.imageIds) {
        const image = await getImageById(deps.images, key, id, 'imageIds');
        if (seen.has(image.digest)) continue;
        seen.add(image.digest);
        details.push(imageDetail(key, image, now));
      }
      return { imageDetails: details };
    }
    const scope = scopeOf('describe-images', key);
    const page = await deps.images.listImages(key, {
      tagStatus: input.filter?.tagStatus ?? 'ANY',
      // "If not specified, only images with ACTIVE status are returned." — source: ECR model, DescribeImagesFilter.
      status: input.filter?.imageStatus ?? 'ACTIVE',
      ...pageOptions(input, scope, DEFAULT_PAGE),
    });
    return {
      imageDetails: page.items.map((i) => imageDetail(key, i, now)),
      ...(page.next !== undefined ? { nextToken: encodeToken(page.next, scope) } : {}),
    };
  };
}

const failureOf = (id: ImageIdentifier, f: Pick<ImageFailure, 'failureCode' | 'failureReason'>): ImageFailure => ({ imageId: id, ...f });

export function batchGetImage(deps: EcrDeps) {
  return async (ctx: RequestContext, input: BatchGetImageRequest): Promise<BatchGetImageResponse> => {
    const key = repoKeyOf(ctx, input);
    const accepted = input.acceptedMediaTypes ?? [];
    const images: Image[] = [];
    const failures: ImageFailure[] = [];
    // Pull-through cache: a repository a rule covers gets the images it lacks from the upstream
    // first (the API's pull, as the registry's) — source: ECR model, BatchGetImage's
    // UnableToGetUpstreamImageException.
    if (deps.pullThrough !== undefined) {
      const authorize = (requests: readonly AuthzRequest[]) =>
        deps.iam.authorizer.authorize(
          authzSubjectOf(ctx),
          requests,
        );
      for (const id of input.imageIds) {
        const resolved = resolveImageId(id);
        if (!resolved.ok) continue;
        const failed = await deps.pullThrough.importNow(key, resolved.ref, authorize);
        if (failed) throw new UnableToGetUpstreamImageException(ptcMessages.unableToGetUpstreamImage(failed.credentialsFailed));
      }
    }
    // An unknown repository ends the call before any id is looked at.
    await deps.repositories.get(key);
    for (const id of input.imageIds) {
      const resolved = resolveImageId(id);
      if (!resolved.ok) {
        failures.push(failureOf(id, resolved.failure));
        continue;
      }
      let got;
      try {
        // A pull, as the registry's GET: it refreshes lastRecordedPullTime — source: ECR model,
        // BatchGetImage ("When an image is pulled, the BatchGetImage API is called once").
        got = await deps.images.getManifest(key, resolved.ref, { recordPull: true, pulledBy: pullerOf(ctx.principal) });
      } catch (e) {
        const failure = e instanceof ImageError ? imageFailureOf(e) : undefined;
        if (failure === undefined) throw e;
        failures.push(failureOf(id, failure));
        continue;
      }
      if (resolved.tag !== undefined && resolved.ref.kind === 'digest' && !got.image.tags.includes(resolved.tag)) {
        failures.push(failureOf(id, { failureCode: 'ImageTagDoesNotMatchDigest', failureReason: messages.failure.tagDoesNotMatchDigest }));
        continue;
      }
      let manifest: Buffer = got.manifest;
      let mediaType = got.image.mediaType;
      let digest = got.image.digest;
      if (accepted.length > 0 && !accepted.includes(mediaType)) {
        // By tag, ECR converts Docker schema 2 ⇄ OCI for a client that does not accept the stored
        // type (never by digest) — source: ECR user guide, "Container image manifest format support".
        const wanted = negotiateManifest(mediaType, accepted, resolved.ref.kind === 'digest');
        const converted = wanted === 'stored' ? undefined : convertManifest(parseManifest(manifest, mediaType), wanted);
        if (wanted === 'stored' || converted === undefined) {
          // UNVERIFIED: ECR's failure for a manifest of a type the caller does not accept; its
          // registry answers such a pull 404 MANIFEST_UNKNOWN, hence ImageNotFound.
          failures.push(failureOf(id, { failureCode: 'ImageNotFound', failureReason: messages.failure.imageNotFound }));
          continue;
        }
        manifest = converted;
        mediaType = wanted;
        digest = sha256Digest(converted);
      }
      images.push({
        registryId: key.accountId,
        repositoryName: key.name,
        imageId: { imageDigest: digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
        imageManifest: manifest.toString('utf8'),
        imageManifestMediaType: mediaType,
      });
    }
    return { images, failures };
  };
}

/**
 * Whether a manifest names no media type of its own (and is not schema 1, which never does).
 * ECR then needs imageManifestMediaType: "If you push an image manifest that does not contain
 * the mediaType field, you must specify the imageManifestMediaType in the request" — source:
 * ECR model, PutImageRequest.
 */
function lacksMediaType(manifest: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(manifest);
  } catch {
    return false; // the domain refuses it as invalid JSON
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const { mediaType, schemaVersion } = doc as { mediaType?: unknown; schemaVersion?: unknown };
  return mediaType === undefined && schemaVersion !== 1;
}

export function putImage(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutImageRequest): Promise<PutImageResponse> => {
    const key = repoKeyOf(ctx, input);
    const tag = input.imageTag;
    if (tag !== undefined && !isImageTag(tag)) throw new InvalidParameterException(messages.invalidImageTag);
    const bytes = Buffer.from(input.imageManifest, 'utf8');
    if (input.imageDigest !== undefined && !isDigest(input.imageDigest)) {
      throw new ImageDigestDoesNotMatchException(messages.imageDigestDoesNotMatch(input.imageDigest, sha256Digest(bytes)));
    }
    if (input.imageManifestMediaType === undefined && lacksMediaType(input.imageManifest)) {
      await deps.repositories.get(key);
      throw new InvalidParameterException(messages.manifestWithoutMediaType);
    }
    const result = await deps.images.putManifest(key, {
      manifest: bytes,
      ...(input.imageManifestMediaType !== undefined ? { mediaType: input.imageManifestMediaType, declaredTypeSuffices: true } : {}),
      ...(tag !== undefined ? { tag } : {}),
      ...(input.imageDigest !== undefined ? { digest: input.imageDigest } : {}),
    });
    // "The specified image has already been pushed, and there were no changes to the manifest or
    // image tag after the last push." — source: ECR model, ImageAlreadyExistsException.
    if (!result.changed) {
      throw new ImageAlreadyExistsException(messages.imageAlreadyExists(result.image.digest, tag, key.name, key.accountId));
    }
    return {
      image: {
        registryId: key.accountId,
        repositoryName: key.name,
        imageId: { imageDigest: result.image.digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
        imageManifest: input.imageManifest,
        imageManifestMediaType: result.image.mediaType,
      },
    };
  };
}

/**
 * By tag: removes the tag, and the image with its last tag. By digest: removes the image and
 * all its tags (one imageId per tag in the answer). An image an index lists stays, with an
 * ImageReferencedByManifestList failure — source: ECR model, BatchDeleteImage.
 */
export function batchDeleteImage(deps: EcrDeps) {
  return async (ctx: RequestContext, input: BatchDeleteImageRequest): Promise<BatchDeleteImageResponse> => {
    const key = repoKeyOf(ctx, input);
    await deps.repositories.get(key);
    const imageIds: ImageIdentifier[] = [];
    const failures: ImageFailure[] = [];
    for (const id of input.imageIds) {
      const resolved = resolveImageId(id);
      if (!resolved.ok) {
        failures.push(failureOf(id, resolved.failure));
        continue;
      }
      try {
        if (resolved.ref.kind === 'digest' && resolved.tag !== undefined) {
          const image = await deps.images.findImage(key, resolved.ref);
          if (image === undefined) {
            failures.push(failureOf(id, { failureCode: 'ImageNotFound', failureReason: messages.failure.imageNotFound }));
            continue;
          }
          if (!image.tags.includes(resolved.tag)) {
            failures.push(failureOf(id, { failureCode: 'ImageTagDoesNotMatchDigest', failureReason: messages.failure.tagDoesNotMatchDigest }));
            continue;
          }
        }
        const removed = await deps.images.removeImage(key, resolved.ref);
        const { image } = removed;
        if (resolved.ref.kind === 'tag') {
          imageIds.push({ imageDigest: image.digest, imageTag: resolved.ref.tag });
        } else if (image.tags.length === 0) {
          imageIds.push({ imageDigest: image.digest });
        } else {
          for (const t of image.tags) imageIds.push({ imageDigest: image.digest, imageTag: t });
        }
      } catch (e) {
        const failure = e instanceof ImageError ? imageFailureOf(e) : undefined;
        if (failure === undefined) throw e;
        failures.push(failureOf(id, failure));
      }
    }
    return { imageIds, failures };
  };
}

/**
 * The OCI 1.1 referrers of a subject, as the registry's `/v2/<name>/referrers/<digest>` lists
 * them (size is the manifest's), filtered by artifact type and, by default, ACTIVE status.
 * An unknown subject has no referrers, as in the registry.
 */
export function listImageReferrers(deps: EcrDeps) {
  return async (ctx: RequestContext, input: ListImageReferrersRequest): Promise<ListImageReferrersResponse> => {
    const key = repoKeyOf(ctx, input);
    const subject = input.subjectId.imageDigest;
    if (!isDigest(subject)) {
      throw new InvalidParameterException(messages.invalidParameter('subjectId.imageDigest', messages.failure.invalidImageDigest));
    }
    const scope = `${scopeOf('referrers', key)}/${subject}`;
    const { limit, after } = pageOptions(input, scope, DEFAULT_REFERRERS_PAGE);
    const all = await deps.images.referrers(key, subject, {
      artifactTypes: input.filter?.artifactTypes ?? [],
      status: input.filter?.artifactStatus ?? 'ACTIVE',
    });
    const start = after === undefined ? 0 : Number(after);
    const now = ctx.clock.now();
    const page = all.slice(start, start + limit);
    const referrers = page.map(
      (i): ImageReferrer => ({
        digest: i.digest,
        mediaType: i.mediaType,
        ...(i.artifactType !== undefined ? { artifactType: i.artifactType } : {}),
        size: i.manifestSize,
        ...(i.annotations !== undefined ? { annotations: i.annotations } : {}),
        artifactStatus: imageStatus(i, now),
      }),
    );
    return {
      referrers,
      ...(start + limit < all.length ? { nextToken: encodeToken(String(start + limit), scope) } : {}),
    };
  };
}

/**
 * ARCHIVE archives the image at once; STANDARD restores it (ACTIVATING until the restore
 * completes) — source: ECR user guide, "Archiving an image" / "Restoring an image".
 */
export function updateImageStorageClass(deps: EcrDeps) {
  return async (ctx: RequestContext, input: UpdateImageStorageClassRequest): Promise<UpdateImageStorageClassResponse> => {
    const key = repoKeyOf(ctx, input);
    const image = await getImageById(deps.images, key, input.imageId);
    const updated = await deps.images.setStorageClass(key, { kind: 'digest', digest: parseDigest(image.digest) }, input.targetStorageClass);
    return {
      registryId: key.accountId,
      repositoryName: key.name,
      imageId: answerId(updated, input.imageId),
      imageStatus: imageStatus(updated, ctx.clock.now()),
    };
  };
}
