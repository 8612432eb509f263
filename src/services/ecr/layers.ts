/**
 * The ECR layer API: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
 * CompleteLayerUpload and GetDownloadUrlForLayer. Uploads are the registry's upload sessions
 * (images/images.ts) and layers its blob links, so a layer uploaded here is pullable through the
 * registry and a layer pushed there is available here.
 */
import { Readable } from 'node:stream';
import type { RequestContext } from '../../aws/context.js';
import {
  EmptyUploadException,
  InvalidLayerException,
  InvalidLayerPartException,
  LayerAlreadyExistsException,
  LayerInaccessibleException,
  LayerPartTooSmallException,
  LayersNotFoundException,
} from '../../model/ecr/errors.js';
import type {
  BatchCheckLayerAvailabilityRequest,
  BatchCheckLayerAvailabilityResponse,
  CompleteLayerUploadRequest,
  CompleteLayerUploadResponse,
  GetDownloadUrlForLayerRequest,
  GetDownloadUrlForLayerResponse,
  InitiateLayerUploadRequest,
  InitiateLayerUploadResponse,
  Layer,
  LayerFailure,
  UploadLayerPartRequest,
  UploadLayerPartResponse,
} from '../../model/ecr/types.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { EcrDeps } from './deps.js';
import { repoKeyOf } from './image-ids.js';
import { messages } from './messages.js';

/**
 * The part size InitiateLayerUpload asks for: the quota page's maximum layer part, 10 MiB (the
 * API itself takes parts up to 20,971,520 bytes) — source: ECR user guide, "Amazon ECR service
 * quotas"; ecr-behaviour.md §2.
 */
export const PART_SIZE = 10 * 1024 * 1024;

/** "All layer parts except the last part should be at least 5MB" — source: dotnet/sdk-container-builds#424. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** How long a GetDownloadUrlForLayer URL works (simfra's choice; ECR's presigned URLs also expire). */
export const DOWNLOAD_URL_TTL_MS = 3600 * 1000;

/**
 * A layer the repository has is AVAILABLE, or ARCHIVED when every image that uses it is
 * archived; one it lacks is UNAVAILABLE (a layers entry, not a failure: ECR's own containerd
 * resolver treats failures as errors and reads availability from `layers`). Failures are for
 * digests that are empty (MissingLayerDigest) or malformed (InvalidLayerDigest) — source: ECR
 * model (LayerAvailability, LayerFailureCode), awslabs/amazon-ecr-containerd-resolver pusher.go.
 */
export function batchCheckLayerAvailability(deps: EcrDeps) {
  return async (ctx: RequestContext, input: BatchCheckLayerAvailabilityRequest): Promise<BatchCheckLayerAvailabilityResponse> => {
    const key = repoKeyOf(ctx, input);
    const failures: LayerFailure[] = [];
    const digests: Digest[] = [];
    for (const d of input.layerDigests) {
      if (d === '') failures.push({ layerDigest: d, failureCode: 'MissingLayerDigest', failureReason: messages.failure.missingLayerDigest });
      else if (!isDigest(d)) failures.push({ layerDigest: d, failureCode: 'InvalidLayerDigest', failureReason: messages.failure.invalidLayerDigest(d) });
      else digests.push(d);
    }
    const states = await deps.images.layerStates(key, digests, { forPush: true });
    const layers = digests.map((digest): Layer => {
      const s = states.get(digest);
      if (s?.layer === undefined) return { layerDigest: digest, layerAvailability: 'UNAVAILABLE' };
      return {
        layerDigest: digest,
        layerAvailability: s.images > 0 && s.active === 0 ? 'ARCHIVED' : 'AVAILABLE',
        layerSize: s.layer.size,
        ...(s.layer.mediaType !== undefined ? { mediaType: s.layer.mediaType } : {}),
      };
    });
    return { layers, failures };
  };
}

export function initiateLayerUpload(deps: EcrDeps) {
  return async (ctx: RequestContext, input: InitiateLayerUploadRequest): Promise<InitiateLayerUploadResponse> => {
    const state = await deps.images.startUpload(repoKeyOf(ctx, input));
    return { uploadId: state.id, partSize: PART_SIZE };
  };
}

/**
 * A part must start where the upload ends and carry exactly partFirstByte..partLastByte
 * (inclusive); otherwise InvalidLayerPartException with lastValidByteReceived — source: ECR
 * model, InvalidLayerPartException. The 20 MiB cap is the model's (LayerPartBlob max), checked
 * by the validator; the 5 MiB minimum is checked when the upload completes, as the model lists
 * LayerPartTooSmallException under CompleteLayerUpload.
 */
export function uploadLayerPart(deps: EcrDeps) {
  return async (ctx: RequestContext, input: UploadLayerPartRequest): Promise<UploadLayerPartResponse> => {
    const key = repoKeyOf(ctx, input);
    const blob = input.layerPartBlob;
    const { partFirstByte: first, partLastByte: last, uploadId } = input;
    if (last < first || last - first + 1 !== blob.byteLength) {
      const state = await deps.images.uploadStatus(key, uploadId);
      throw new InvalidLayerPartException(messages.invalidLayerPart, {
        registryId: key.accountId,
        repositoryName: key.name,
        uploadId,
        lastValidByteReceived: state.size - 1,
      });
    }
    const body = Readable.from([Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)]);
    const state = await deps.images.appendUpload(key, uploadId, body, { offset: first, maxLength: blob.byteLength });
    return { registryId: key.accountId, repositoryName: key.name, uploadId, lastByteReceived: state.size - 1 };
  };
}

/**
 * Completes an upload when one of layerDigests is the digest of what was uploaded. Checked in
 * ECR's order: an empty upload, a small part, the digest, then a layer the repository already
 * has (the containerd resolver relies on LayerAlreadyExistsException coming after the digest
 * check). A failed completion discards the upload.
 */
export function completeLayerUpload(deps: EcrDeps) {
  return async (ctx: RequestContext, input: CompleteLayerUploadRequest): Promise<CompleteLayerUploadResponse> => {
    const key = repoKeyOf(ctx, input);
    const { uploadId } = input;
    const state = await deps.images.uploadStatus(key, uploadId);
    if (state.size === 0) throw new EmptyUploadException(messages.emptyUpload);
    if (state.smallestPart !== undefined && state.smallestPart < MIN_PART_SIZE) {
      await deps.images.cancelUpload(key, uploadId);
      throw new LayerPartTooSmallException(messages.layerPartTooSmall);
    }
    if (!input.layerDigests.includes(state.digest)) {
      await deps.images.cancelUpload(key, uploadId);
      throw new InvalidLayerException(messages.layerDigestsDoNotMatch);
    }
    if ((await deps.images.findLayer(key, state.digest, { forPush: true })) !== undefined) {
      await deps.images.cancelUpload(key, uploadId);
      throw new LayerAlreadyExistsException(messages.layerAlreadyExists(state.digest, key.name, key.accountId));
    }
    const layer = await deps.images.completeUpload(key, uploadId, state.digest);
    return { registryId: key.accountId, repositoryName: key.name, uploadId, layerDigest: layer.digest };
  };
}

/**
 * A time-limited URL simfra serves itself (see images/layer-urls.ts). "You can only get URLs
 * for image layers that are referenced in an image" — source: ECR model, GetDownloadUrlForLayer;
 * LayerInaccessibleException otherwise, and for a layer only archived images use.
 */
export function getDownloadUrlForLayer(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetDownloadUrlForLayerRequest): Promise<GetDownloadUrlForLayerResponse> => {
    const key = repoKeyOf(ctx, input);
    const notFound = () => new LayersNotFoundException(messages.layerNotFound(input.layerDigest, key.name, key.accountId));
    const digest = input.layerDigest;
    if (!isDigest(digest)) {
      await deps.repositories.get(key);
      throw notFound();
    }
    const state = (await deps.images.layerStates(key, [digest])).get(digest);
    if (state?.layer === undefined) throw notFound();
    if (state.images === 0) throw new LayerInaccessibleException(messages.layerInaccessible);
    if (state.active === 0) throw new LayerInaccessibleException(messages.layerArchived);
    const expiresAt = new Date(ctx.clock.now().getTime() + DOWNLOAD_URL_TTL_MS);
    const path = deps.layerUrls.pathFor({ accountId: key.accountId, region: key.region, name: key.name, digest, expiresAt });
    return { downloadUrl: `${deps.endpoints.downloadBase(key.accountId, key.region)}${path}`, layerDigest: digest };
  };
}
