import { AccessDeniedError } from '../iam/authorize.js';
import { ImageError } from '../images/errors.js';
import { messages } from '../services/ecr/messages.js';
import { storageFullCode } from '../store/storage-full.js';
import { RegistryError } from './errors.js';

const uploadLocation = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;

/** `Range` of an upload session holding `size` bytes, as distribution writes it ("0-0" when empty). */
export const uploadRange = (size: number): string => `0-${Math.max(size - 1, 0)}`;

/**
 * The one translation from domain errors to registry errors, with ECR's wording where docker
 * prints it (`<code lowercased>: <message>`) — sources in services/ecr/messages.ts.
 */
export function imageErrorToRegistry(e: ImageError): RegistryError {
  const d = e.detail;
  switch (d.kind) {
    case 'RepositoryNotFound':
      return new RegistryError('NAME_UNKNOWN', { message: messages.repositoryNotFound(d.name, d.registryId) });
    case 'RepositoryAlreadyExists':
    case 'RepositoryNotEmpty':
      // Repository lifecycle is the ECR API's; no registry route can get here.
      return new RegistryError('UNKNOWN', { detail: d.kind });
    case 'ImageNotFound':
      return new RegistryError('MANIFEST_UNKNOWN', {
        message: messages.requestedImageNotFound,
        ...(d.imageDigest !== undefined || d.imageTag !== undefined
          ? { detail: d.imageDigest !== undefined ? { digest: d.imageDigest } : { tag: d.imageTag } }
          : {}),
      });
    case 'TagImmutable':
      return new RegistryError('TAG_INVALID', { message: messages.imageTagAlreadyExists(d.tag, d.name) });
    case 'ManifestInvalid':
      return new RegistryError('MANIFEST_INVALID', { detail: d.reason });
    case 'ManifestSizeMismatch':
      // MANIFEST_INVALID, not SIZE_INVALID: the spec's SIZE_INVALID is an upload whose length
      // differs from what the client declared; a manifest failing a validity check is
      // MANIFEST_INVALID "unless a more specific error is included" — source: distribution-spec
      // v1.1 "Error Codes" and distribution's errcode descriptions.
      return new RegistryError('MANIFEST_INVALID', {
        detail: { digest: d.digest, size: d.declared, actualSize: d.actual, reason: sizeMismatchReason(d) },
      });
    case 'ManifestDigestMismatch':
      return new RegistryError('DIGEST_INVALID', { detail: { expected: d.expected, actual: d.actual } });
    case 'ManifestBlobUnknown':
      return new RegistryError('MANIFEST_BLOB_UNKNOWN', { message: messages.layersNotFoundForPush(d.digests, d.name, d.registryId) });
    case 'ReferencedImagesNotFound':
      return new RegistryError('MANIFEST_BLOB_UNKNOWN', {
        message: messages.referencedImagesNotFound(d.digests, d.name, d.registryId),
      });
    case 'ImageReferencedByManifestList':
      return new RegistryError('DENIED', { message: messages.imageReferencedByManifestList(d.parents) });
    case 'BlobUnknown':
      return new RegistryError('BLOB_UNKNOWN', { detail: { digest: d.digest } });
    case 'UploadNotFound':
      return new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: d.uploadId } });
    case 'UploadOutOfOrder':
      // The client learns where to resume from Range — source: distribution-spec v1.1 "Pushing a blob in chunks".
      return new RegistryError('RANGE_INVALID', {
        detail: { uuid: d.uploadId, size: d.size, firstByte: d.firstByte },
        headers: {
          location: uploadLocation(d.name, d.uploadId),
          range: uploadRange(d.size),
          'docker-upload-uuid': d.uploadId,
        },
      });
    case 'UploadInvalid':
      return new RegistryError('BLOB_UPLOAD_INVALID', { detail: d.reason });
    case 'DigestMismatch':
      return new RegistryError('DIGEST_INVALID', { detail: { expected: d.expected, actual: d.actual } });
    case 'RangeInvalid':
      return new RegistryError('RANGE_INVALID', { headers: { 'content-range': `bytes */${d.size}` } });
    case 'ImageArchived':
      // "Requests to pull the archived image will fail with a 404 error" — source: ECR user guide,
      // "Archiving an image" (the detail is simfra's).
      return new RegistryError('MANIFEST_UNKNOWN', {
        message: messages.requestedImageNotFound,
        detail: { digest: d.imageDigest, imageStatus: d.status },
      });
    case 'KmsKeyUnusable':
      // ECR serves layers from S3, which answers a disabled KMS key with a 400
      // KMS.DisabledException (see layer-downloads.ts); the registry has no such code, so docker
      // is told "denied: <KMS's text>" (UNVERIFIED: the status real ECR's registry uses).
      return new RegistryError('DENIED', { message: d.reason, detail: { kmsError: d.kmsError } });
  }
}

/** Any error a handler lets escape, as the registry answers it; undefined for the unexpected. */
export function toRegistryError(e: unknown): RegistryError | undefined {
  if (e instanceof RegistryError) return e;
  if (e instanceof ImageError) return imageErrorToRegistry(e);
  // docker shows it as "denied: User: … is not authorized to perform: ecr:… on resource: …"
  // — source: ecr-behaviour.md §3.8.
  if (e instanceof AccessDeniedError) return new RegistryError('DENIED', { message: e.message });
  const full = storageFullCode(e);
  if (full !== undefined) return new RegistryError('STORAGE_FULL', { detail: { cause: full } });
  return undefined;
}

function sizeMismatchReason(d: { digest: string; declared: number; actual: number }): string {
  return `descriptor of ${d.digest} declares size ${d.declared}, the content is ${d.actual} bytes`;
}
