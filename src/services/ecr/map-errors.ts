import { AwsError } from '../../aws/errors.js';
import { ImageError } from '../../images/errors.js';
import { PreviewInProgressError } from '../../images/lifecycle/lifecycle.js';
import { LifecyclePolicyError } from '../../images/lifecycle/policy.js';
import type { ImageFailure } from '../../model/ecr/types.js';
import {
  ImageArchivedException,
  ImageDigestDoesNotMatchException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  InvalidLayerException,
  InvalidLayerPartException,
  InvalidParameterException,
  KmsException,
  LayersNotFoundException,
  LifecyclePolicyPreviewInProgressException,
  ReferencedImagesNotFoundException,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  UploadNotFoundException,
} from '../../model/ecr/errors.js';
import { lifecyclePolicyViolation, messages } from './messages.js';

/**
 * The one translation from image-domain errors to ECR API errors. Batch operations
 * (BatchDeleteImage's ImageReferencedByManifestList, …) turn some kinds into failure entries
 * before they get here; this mapping is for errors that end the whole call.
 */
export function toEcrError(e: ImageError): AwsError {
  const d = e.detail;
  switch (d.kind) {
    case 'RepositoryNotFound':
      return new RepositoryNotFoundException(messages.repositoryNotFound(d.name, d.registryId));
    case 'RepositoryAlreadyExists':
      return new RepositoryAlreadyExistsException(messages.repositoryAlreadyExists(d.name, d.registryId));
    case 'RepositoryNotEmpty':
      return new RepositoryNotEmptyException(messages.repositoryNotEmpty(d.name, d.registryId));
    case 'ImageNotFound':
      return new ImageNotFoundException(messages.imageNotFound(d.imageDigest, d.imageTag, d.name, d.registryId));
    case 'TagImmutable':
      return new ImageTagAlreadyExistsException(messages.imageTagAlreadyExists(d.tag, d.name));
    case 'ManifestInvalid':
      // ECR answers "Invalid JSON syntax" for a manifest it cannot read or classify.
      return new InvalidParameterException(
        d.invalid === 'json' || d.invalid === 'unsupported-media-type' ? messages.invalidManifestJson : messages.invalidManifest(d.reason),
      );
    case 'ManifestSizeMismatch':
      // ECR words every manifest it refuses on content as a constraint on ImageManifest.
      return new InvalidParameterException(messages.manifestSizeMismatch(d.digest, d.declared, d.actual));
    case 'ManifestDigestMismatch':
      return new ImageDigestDoesNotMatchException(messages.imageDigestDoesNotMatch(d.expected, d.actual));
    case 'ManifestBlobUnknown':
      return new LayersNotFoundException(messages.layersNotFoundForPush(d.digests, d.name, d.registryId));
    case 'ReferencedImagesNotFound':
      return new ReferencedImagesNotFoundException(messages.referencedImagesNotFound(d.digests, d.name, d.registryId));
    case 'ImageReferencedByManifestList':
      return new InvalidParameterException(messages.imageReferencedByManifestList(d.parents));
    case 'BlobUnknown':
      return new LayersNotFoundException(messages.layerNotFound(d.digest, d.name, d.registryId));
    case 'UploadNotFound':
      return new UploadNotFoundException(messages.uploadNotFound(d.uploadId, d.name, d.registryId));
    case 'UploadOutOfOrder':
      return new InvalidLayerPartException(messages.invalidLayerPart, {
        registryId: d.registryId,
        repositoryName: d.name,
        uploadId: d.uploadId,
        lastValidByteReceived: d.size - 1,
      });
    case 'UploadInvalid':
      return new InvalidLayerPartException(messages.invalidLayerPart, {
        registryId: d.registryId,
        repositoryName: d.name,
        uploadId: d.uploadId,
      });
    case 'DigestMismatch':
      return new InvalidLayerException(messages.invalidLayer(d.expected, d.actual));
    case 'RangeInvalid':
      return new InvalidParameterException(messages.invalidParameter('range', `must lie within the ${d.size} bytes of ${d.digest}`));
    case 'ImageArchived':
      return new ImageArchivedException(messages.imageArchived);
    case 'KmsKeyUnusable':
      return new KmsException(messages.kmsError(d.reason), { kmsError: d.kmsError });
  }
}

/**
 * The failure entry of a batch operation (BatchGetImage, BatchDeleteImage) for an error about one
 * of its image ids; undefined for errors that end the whole call (RepositoryNotFound, …).
 */
export function imageFailureOf(e: ImageError): Pick<ImageFailure, 'failureCode' | 'failureReason'> | undefined {
  const d = e.detail;
  switch (d.kind) {
    case 'ImageNotFound':
      return { failureCode: 'ImageNotFound', failureReason: messages.failure.imageNotFound };
    // An archived image cannot be pulled; ECR's pull answers 404 (user guide, "Archiving an image"),
    // so BatchGetImage reports it as not found (the code ECR uses here is not documented).
    case 'ImageArchived':
      return { failureCode: 'ImageNotFound', failureReason: messages.failure.imageNotFound };
    case 'ImageReferencedByManifestList':
      return { failureCode: 'ImageReferencedByManifestList', failureReason: messages.imageReferencedByManifestList(d.parents) };
    default:
      return undefined;
  }
}

/** Wraps a handler so that image-domain errors leave it as ECR errors. */
export function withEcrErrors<I, O, C>(fn: (ctx: C, input: I) => Promise<O>): (ctx: C, input: I) => Promise<O> {
  return async (ctx, input) => {
    try {
      return await fn(ctx, input);
    } catch (e) {
      if (e instanceof ImageError) throw toEcrError(e);
      if (e instanceof LifecyclePolicyError) {
        throw new InvalidParameterException(messages.invalidLifecyclePolicy(lifecyclePolicyViolation(e.violation)));
      }
      if (e instanceof PreviewInProgressError) {
        throw new LifecyclePolicyPreviewInProgressException(messages.lifecyclePolicyPreviewInProgress(e.repositoryName, e.registryId));
      }
      throw e;
    }
  };
}
