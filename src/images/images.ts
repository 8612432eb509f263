/**
 * The image domain: manifests, tags, layer links and upload sessions of ECR repositories. The
 * registry (docker push/pull) and the ECR API (PutImage, DescribeImages, layer uploads…) both go
 * through this class, so they read and write the same records (DESIGN.md rule 1). It knows the
 * stores, never HTTP: bodies arrive as Readables, errors leave as ImageError.
 */
import type { Readable } from 'node:stream';

import type { Clock } from '../clock.js';
import { sha256Digest, type Digest } from '../oci/digest.js';
import { PullTimeExclusions, type Puller } from './pull-exclusions.js';
import { KmsError } from '../kms/errors.js';
import { ManifestInvalidError, parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';
import type { Reference } from '../oci/reference.js';
import {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidRangeError,
  UploadNotFoundError,
  UploadTooLargeError,
  resolveRange,
  type BlobStore,
  type ByteRange,
  type Upload,
} from '../store/blobs/blob-store.js';
import type {
  ImageIdRecord,
  ImageListFilter,
  ImageRecord,
  ImageStatusFilter,
  LayerRecord,
  MetaStore,
  NewImage,
  Page,
  RepoKey,
  RepositoryRecord,
  ScanRecord,
  TagStatusFilter,
  UploadRecord,
} from '../store/meta/meta-store.js';
import { SweepGate } from './blob-gc.js';
import { plainEncryption, kmsKeyUnusable, type RepositoryEncryption } from './encryption.js';
import { ImageError } from './errors.js';
import { isTagImmutable } from './mutability.js';
import { parseScanningConfig, REGISTRY_SCANNING_SETTING, repositoryScanning } from './scanning-rules.js';
import type { Repositories } from './repositories.js';

export type { ImageIdRecord, ImageRecord, ImageStatusFilter, LayerRecord, ScanRecord, TagStatusFilter } from '../store/meta/meta-store.js';

/** ECR's manifest size limit (the model's ImageManifest: 1–4,194,304) — source: ECR API model. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * ECR refreshes lastRecordedPullTime "at least once every 24 hours"; recording at most once a
 * minute per image keeps pulls from turning into a database write each — source: ECR model,
 * ImageDetail.lastRecordedPullTime.
 */
const PULL_TIME_RESOLUTION_MS = 60_000;

/**
 * A "present" answer to a push (registry HEAD, BatchCheckLayerAvailability) restarts the blob's
 * garbage-collection grace period, at most once a second per blob so that repeated checks cost
 * no disk write. Grace periods are much longer than this.
 */
const TOUCH_RESOLUTION_MS = 1_000;

/**
 * How long a restore from the archive storage class takes here. ECR restores "typically up to
 * 20 minutes" with the image ACTIVATING (and not pullable) meanwhile — source: ECR user guide,
 * "Restoring an image". simfra keeps the ACTIVATING state but not the wait.
 */
export const RESTORE_DURATION_MS = 2_000;

/** ECR's imageStatus. */
export type ImageStatus = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';

/** The status of an image at `now`: ARCHIVED in the archive class, ACTIVATING until a restore completes. */
export function imageStatus(image: ImageRecord, now: Date): ImageStatus {
  if (image.storageClass === 'ARCHIVE') return 'ARCHIVED';
  return image.restoredAt !== undefined && image.restoredAt > now ? 'ACTIVATING' : 'ACTIVE';
}

/**
 * Whether a basic scan can look at the image: a single image manifest of a container image
 * (Docker or OCI image config). Indexes and other artifacts (Helm charts, signatures, SBOMs)
 * cannot be scanned — source: ECR model, UnsupportedImageTypeException and ScanStatus
 * UNSUPPORTED_IMAGE.
 */
export function isScannable(image: Pick<ImageRecord, 'mediaType' | 'artifactType'>): boolean {
  return (
    (image.mediaType === MediaType.DockerManifest || image.mediaType === MediaType.OciManifest) &&
    (image.artifactType === MediaType.DockerConfig || image.artifactType === MediaType.OciConfig)
  );
}

/**
 * The outcome of a basic scan made here. simfra has no vulnerability database, so a scan of a
 * scannable image completes at once with no findings; it never invents any.
 */
export function basicScan(image: Pick<ImageRecord, 'mediaType' | 'artifactType'>, at: Date): ScanRecord {
  return isScannable(image) ? { status: 'COMPLETE', startedAt: at, completedAt: at } : { status: 'UNSUPPORTED_IMAGE', startedAt: at };
}

export interface ImagesDeps {
  meta: MetaStore;
  /** The store of AES256 repositories (all of them when `encryption` is absent). */
  blobs: BlobStore;
  repositories: Repositories;
  clock: Clock;
  /** Shared with BlobGc: the blobs a sweep is deleting (a commit of one waits). */
  sweeps?: SweepGate;
  /** Where KMS-encrypted repositories keep their blobs, and their keys' state (encryption.ts). */
  encryption?: RepositoryEncryption;
}

/** What the client pushes: the manifest bytes as sent, how it was declared and where it goes. */
export interface PutManifestInput {
  manifest: Uint8Array;
  /** The Content-Type (or the API's imageManifestMediaType); absent lets the body decide. */
  mediaType?: string;
  /** Tag to point at the image. */
  tag?: string;
  /** The digest the client addressed it by; must be the manifest's. */
  digest?: Digest;
  /** `mediaType` names the type even for a Docker manifest whose body lacks it (PutImage's imageManifestMediaType). */
  declaredTypeSuffices?: boolean;
  /** A copy made by replication: push listeners are not told (ECR does not replicate a replica onward). */
  replica?: boolean;
}

/** Told of every manifest a client stored (registry PUT, PutImage), after the store. */
export type ImagePushedListener = (key: RepoKey, image: ImageRecord) => Promise<void> | void;

export interface PutManifestResult {
  image: ImageRecord;
  parsed: ParsedManifest;
  /** False when the digest already was an image of the repository. */
  created: boolean;
  /** False when the push changed nothing (ECR's PutImage answers ImageAlreadyExistsException then). */
  changed: boolean;
  /** The image the tag named before this push moved it. */
  tagMovedFrom?: string;
}

/** An upload session as its callers see it. */
export interface UploadState {
  id: string;
  /** Bytes received so far. */
  size: number;
  startedAt: Date;
  parts: number;
  lastPartSize: number;
  /** The smallest part but the last, once there are two. */
  smallestPart?: number;
  /** The digest of the bytes received so far. */
  digest: Digest;
}

export interface AppendOptions {
  /** Where the client says the part starts; a part not starting at the session's size is refused. */
  offset?: number;
  /** Most bytes this part may carry (from Content-Range / Content-Length). */
  maxLength?: number;
  signal?: AbortSignal;
}

export interface RemoveImageResult {
  /** `deleted`: the image is gone (with its tags); `untagged`: only the tag was removed. */
  kind: 'deleted' | 'untagged';
  image: ImageRecord;
}

export class Images {
  readonly #meta: MetaStore;
  readonly #encryption: RepositoryEncryption;
  readonly #repositories: Repositories;
  readonly #clock: Clock;
  readonly #pullExclusions: PullTimeExclusions;
  readonly #sweeps: SweepGate;
  /** Per-session queues: an offset check and the append it guards must not interleave with another. */
  readonly #sessionTails = new Map<string, Promise<unknown>>();
  readonly #pushListeners: ImagePushedListener[] = [];

  constructor(deps: ImagesDeps) {
    this.#meta = deps.meta;
    this.#encryption = deps.encryption ?? plainEncryption(deps.blobs);
    this.#repositories = deps.repositories;
    this.#clock = deps.clock;
    this.#pullExclusions = new PullTimeExclusions(deps.meta);
    this.#sweeps = deps.sweeps ?? new SweepGate();
  }

  /**
   * Registers `listener` for client pushes (app.ts sets ECR replication's here, keeping service
   * concerns out of images/). A listener must not throw; it is called (and awaited) after the store commits.
   */
  onImagePushed(listener: ImagePushedListener): void {
    this.#pushListeners.push(listener);
  }

  // ——— Manifests and images ———

  /**
   * Validates and stores a manifest, then points `tag` at it, in one transaction: the referenced
   * blobs must be linked to the repository, an index's children must be images of it, and an
   * immutable tag may not move (pushing the same manifest to it again is fine).
   */
  async putManifest(key: RepoKey, input: PutManifestInput): Promise<PutManifestResult> {
    const repo = await this.#repositories.get(key);
    const at = { name: key.name, registryId: key.accountId };
    // PutImage of a KMS repository needs its key (the model lists KmsException for PutImage).
    await this.#encryption.checkKey(repo);
    const bytes = input.manifest;
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new ImageError('ManifestInvalid', { ...at, reason: `manifest is larger than ${MAX_MANIFEST_BYTES} bytes` });
    }
    const digest = sha256Digest(bytes);
    if (input.digest !== undefined && input.digest !== digest) {
      throw new ImageError('ManifestDigestMismatch', { ...at, expected: input.digest, actual: digest });
    }
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(bytes, input.mediaType, { declaredTypeSuffices: input.declaredTypeSuffices === true });
    } catch (e) {
      if (e instanceof ManifestInvalidError) throw new ImageError('ManifestInvalid', { ...at, reason: e.reason, invalid: e.kind });
      throw e;
    }
    await this.#checkDescriptorSizes(repo, parsed);
    const now = this.#clock.now();
    const scansOnPush = await this.#scansOnPush(repo);
    const image: NewImage = {
      digest,
      mediaType: parsed.mediaType,
      ...(parsed.artifactType !== undefined ? { artifactType: parsed.artifactType } : {}),
      // Scan on push (the repository's setting or a registry scanning rule), for the images
      // stored (or restored) by this push.
      ...(scansOnPush ? { scan: basicScan({ mediaType: parsed.mediaType, artifactType: parsed.artifactType }, now) } : {}),
      ...(parsed.subject !== undefined ? { subject: parsed.subject.digest } : {}),
      ...(parsed.annotations !== undefined ? { annotations: { ...parsed.annotations } } : {}),
      manifest: bytes,
      size: await this.#imageSize(repo, parsed),
      pushedAt: now,
      children: parsed.manifests.map((m) => m.digest),
      blobs: [
        ...(parsed.config !== undefined ? [parsed.config] : []),
        ...parsed.layers,
      ].map((d) => ({
        digest: d.digest,
        mediaType: d.mediaType,
        // Foreign / non-distributable layers live at their `urls`, not in the registry.
        required: !('urls' in d && d.urls !== undefined && d.urls.length > 0),
      })),
    };
    const tag = input.tag === undefined ? undefined : { name: input.tag, immutable: isTagImmutable(repo, input.tag) };
    const outcome = await this.#meta.images.put(repo.id, image, tag);
    switch (outcome.kind) {
      case 'missing-blobs':
        throw new ImageError('ManifestBlobUnknown', { ...at, digests: outcome.digests });
      case 'missing-children':
        throw new ImageError('ReferencedImagesNotFound', { ...at, digests: outcome.digests });
      case 'tag-immutable':
        throw new ImageError('TagImmutable', { ...at, tag: input.tag ?? '' });
      case 'stored':
        if (input.replica !== true) for (const listener of this.#pushListeners) await listener(key, outcome.image);
        return {
          image: outcome.image,
          parsed,
          created: outcome.created,
          changed: outcome.changed,
          ...(outcome.tagMovedFrom !== undefined ? { tagMovedFrom: outcome.tagMovedFrom } : {}),
        };
    }
  }

  /** The image a tag or digest names, or undefined. Throws RepositoryNotFound. */
  async findImage(key: RepoKey, ref: Reference): Promise<ImageRecord | undefined> {
    const repo = await this.#repositories.get(key);
    return this.#find(repo, ref);
  }

  /** The image a tag or digest names. Throws RepositoryNotFound, ImageNotFound. */
  async getImage(key: RepoKey, ref: Reference): Promise<ImageRecord> {
    const repo = await this.#repositories.get(key);
    return this.#require(repo, ref);
  }

  /**
   * The manifest bytes exactly as pushed, with their image. `recordPull` marks a pull
   * (lastRecordedPullTime), as a registry GET does, unless the registry excludes `pulledBy`.
   */
  async getManifest(
    key: RepoKey,
    ref: Reference,
    opts: { recordPull?: boolean; pulledBy?: Puller } = {},
  ): Promise<{ image: ImageRecord; manifest: Buffer }> {
    const repo = await this.#repositories.get(key);
    const image = await this.#require(repo, ref);
    const now = this.#clock.now();
    // Archived images cannot be pulled, nor can they while a restore runs — source: ECR user
    // guide, "Archiving an image" / "Restoring an image".
    const status = imageStatus(image, now);
    if (status !== 'ACTIVE') {
      throw new ImageError('ImageArchived', {
        name: repo.name,
        registryId: repo.accountId,
        imageDigest: image.digest,
        ...(ref.kind === 'tag' ? { imageTag: ref.tag } : {}),
        status,
      });
    }
    const manifest = await this.#meta.images.manifest(repo.id, image.digest);
    if (manifest === undefined) throw this.#notFound(repo, ref);
    if (opts.recordPull === true) {
      const due = image.lastPulledAt === undefined || now.getTime() - image.lastPulledAt.getTime() >= PULL_TIME_RESOLUTION_MS;
      // Asked only when the pull would be recorded, so most pulls cost no extra read.
      if (due && !(opts.pulledBy !== undefined && (await this.#pullExclusions.excludes(repo.accountId, repo.region, opts.pulledBy)))) {
        await this.#meta.images.recordPull(repo.id, image.digest, now);
        return { image: { ...image, lastPulledAt: now }, manifest };
      }
    }
    return { image, manifest };
  }

  /**
   * Images oldest first, filtered by tag status and image status (default: any); `after` is the
   * `next` of the previous page.
   */
  async listImages(
    key: RepoKey,
    opts: { tagStatus?: TagStatusFilter; status?: ImageStatusFilter; limit: number; after?: string },
  ): Promise<Page<ImageRecord>> {
    const repo = await this.#repositories.get(key);
    return this.#meta.images.list(repo.id, { ...opts, now: this.#clock.now() });
  }

  /** ListImages' entries: one per tag, one per untagged image, oldest image first. */
  async listImageIds(key: RepoKey, opts: ImageListFilter & { limit: number; after?: string }): Promise<Page<ImageIdRecord>> {
    const repo = await this.#repositories.get(key);
    return this.#meta.images.listIds(repo.id, { ...opts, now: this.#clock.now() });
  }

  /** Tags in lexical order after the tag `after`; `next` is the last tag of the page. */
  async listTags(key: RepoKey, opts: { limit: number; after?: string }): Promise<Page<string>> {
    const repo = await this.#repositories.get(key);
    return this.#meta.images.listTags(repo.id, opts);
  }

  /**
   * Images whose `subject` is `subject`, optionally only those of the given artifact types, and
   * by default only ACTIVE ones (archived artifacts cannot be pulled) — source: ECR model,
   * ListImageReferrersFilter.artifactStatus ("If not specified, only artifacts with ACTIVE status
   * are returned").
   */
  async referrers(
    key: RepoKey,
    subject: Digest,
    opts: { artifactTypes?: readonly string[]; status?: ImageStatusFilter } = {},
  ): Promise<ImageRecord[]> {
    const repo = await this.#repositories.get(key);
    const all = await this.#meta.images.referrers(repo.id, subject);
    const now = this.#clock.now();
    const status = opts.status ?? 'ACTIVE';
    const types = opts.artifactTypes ?? [];
    return all.filter(
      (i) =>
        (status === 'ANY' || imageStatus(i, now) === status) &&
        (types.length === 0 || (i.artifactType !== undefined && types.includes(i.artifactType))),
    );
  }

  /**
   * Moves an image to the archive storage class, or starts its restore to STANDARD (ACTIVATING
   * for RESTORE_DURATION_MS). An image already in (or on its way to) the target class is left
   * as it is. A restore drops the scan made before archiving and scans again on scan-on-push —
   * source: ECR user guide, "Restoring an image". Throws RepositoryNotFound, ImageNotFound.
   */
  async setStorageClass(key: RepoKey, ref: Reference, target: 'STANDARD' | 'ARCHIVE'): Promise<ImageRecord> {
    const repo = await this.#repositories.get(key);
    const image = await this.#require(repo, ref);
    const now = this.#clock.now();
    let updated: ImageRecord | undefined = image;
    if (target === 'ARCHIVE' && image.storageClass !== 'ARCHIVE') {
      updated = await this.#meta.images.archive(repo.id, image.digest, now);
    } else if (target === 'STANDARD' && image.storageClass === 'ARCHIVE') {
      const completesAt = new Date(now.getTime() + RESTORE_DURATION_MS);
      const scan = (await this.#scansOnPush(repo)) ? basicScan(image, completesAt) : undefined;
      updated = await this.#meta.images.restore(repo.id, image.digest, completesAt, scan);
    }
    if (updated === undefined) throw this.#notFound(repo, ref);
    return updated;
  }

  /** Records a scan of the image (its outcome decided by `basicScan`); returns the image with it. */
  async recordScan(key: RepoKey, digest: Digest): Promise<ImageRecord> {
    const repo = await this.#repositories.get(key);
    const ref: Reference = { kind: 'digest', digest };
    const image = await this.#require(repo, ref);
    const scan = basicScan(image, this.#clock.now());
    await this.#meta.images.recordScan(repo.id, digest, scan);
    return { ...image, scan };
  }

  /** The manifests an index lists (empty for an image manifest). */
  async children(key: RepoKey, digest: Digest): Promise<string[]> {
    const repo = await this.#repositories.get(key);
    return this.#meta.images.children(repo.id, digest);
  }

  /**
   * By digest: deletes the image and all its tags. By tag: removes the tag, and the image with it
   * when it was the last one (ECR's BatchDeleteImage). An image an index lists stays.
   */
  async removeImage(key: RepoKey, ref: Reference): Promise<RemoveImageResult> {
    const repo = await this.#repositories.get(key);
    const outcome =
      ref.kind === 'digest' ? await this.#meta.images.delete(repo.id, ref.digest) : await this.#meta.images.untag(repo.id, ref.tag);
    switch (outcome.kind) {
      case 'not-found':
        throw this.#notFound(repo, ref);
      case 'referenced':
        throw new ImageError('ImageReferencedByManifestList', {
          name: repo.name,
          registryId: repo.accountId,
          imageDigest: outcome.image.digest,
          parents: outcome.parents,
        });
      case 'deleted':
      case 'untagged':
        return { kind: outcome.kind, image: outcome.image };
    }
  }

  countImages(repo: RepositoryRecord): Promise<number> {
    return this.#meta.images.count(repo.id);
  }

  /**
   * Copies the image `digest` of `source` into `target` (another region or account), as ECR's
   * replication does: its subject first (when the source has it), an index's children before the
   * index, the blobs linked (content-addressed, so linking is the copy: the link touches the
   * blob's record, which keeps garbage collection correct), then the manifest bytes as pushed,
   * under each of the source image's tags. The caller has authorized the copy and made `target`.
   * Throws like putManifest (e.g. TagImmutable in the destination) and BlobUnknown when a blob
   * vanished meanwhile.
   */
  async copyImage(source: RepoKey, target: RepoKey, digest: Digest, seen = new Set<string>()): Promise<ImageRecord> {
    if (seen.has(digest)) return this.getImage(target, { kind: 'digest', digest });
    seen.add(digest);
    const from = await this.#repositories.get(source);
    const to = await this.#repositories.get(target);
    const image = await this.#require(from, { kind: 'digest', digest });
    const manifest = await this.#meta.images.manifest(from.id, digest);
    if (manifest === undefined) throw this.#notFound(from, { kind: 'digest', digest });
    const parsed = parseManifest(manifest, image.mediaType, { declaredTypeSuffices: true });
    if (parsed.subject !== undefined && !seen.has(parsed.subject.digest)) {
      const subject = await this.#meta.images.get(from.id, parsed.subject.digest);
      if (subject !== undefined) await this.copyImage(source, target, parsed.subject.digest, seen);
    }
    for (const child of parsed.manifests) await this.copyImage(source, target, child.digest, seen);
    const blobs = [...(parsed.config !== undefined ? [parsed.config] : []), ...parsed.layers];
    for (const d of blobs) {
      if ('urls' in d && d.urls !== undefined && d.urls.length > 0) continue;
      await this.#copyLayer(from, to, d.digest);
    }
    const base = { manifest, mediaType: image.mediaType, declaredTypeSuffices: true, replica: true, digest };
    let copied = (await this.putManifest(target, base)).image;
    for (const tag of image.tags) copied = (await this.putManifest(target, { ...base, tag })).image;
    return copied;
  }

  async #copyLayer(from: RepositoryRecord, to: RepositoryRecord, digest: Digest): Promise<void> {
    const existing = await this.#meta.layers.get(to.id, digest);
    if (existing !== undefined) {
      await this.#meta.blobs.refresh([digest], this.#clock.now(), TOUCH_RESOLUTION_MS);
      return;
    }
    const link = await this.#meta.layers.get(from.id, digest);
    const at = { name: from.name, registryId: from.accountId, digest };
    if (link === undefined) throw new ImageError('BlobUnknown', at);
    if (from.encryptionType !== to.encryptionType || from.kmsKey !== to.kmsKey) {
      // Different encryption (a KMS repository's blobs live in its key's store): the bytes are
      // read through the source's key and pushed as a new upload under the destination's.
      const { stream } = await this.readLayer(from, digest);
      await this.pushBlob(to, digest, stream);
      return;
    }
    // Same encryption, same content-addressed store: the link is the copy (it touches the blob's
    // record, and fails when a sweep took the record meanwhile).
    const linked =
      (await this.#blobsOf(from).stat(digest)) === undefined
        ? undefined
        : await this.#meta.layers.link({
            repositoryId: to.id,
            digest,
            size: link.size,
            ...(link.mediaType !== undefined ? { mediaType: link.mediaType } : {}),
            linkedAt: this.#clock.now(),
          });
    if (linked === undefined) throw new ImageError('BlobUnknown', at);
  }

  // ——— Layers (blobs linked to a repository) ———

  /**
   * The link of a blob to the repository, or undefined. Throws RepositoryNotFound. `forPush`: a
   * push is told it need not upload the blob, so garbage collection's grace period starts again.
   */
  async findLayer(key: RepoKey, digest: Digest, opts: { forPush?: boolean } = {}): Promise<LayerRecord | undefined> {
    const repo = await this.#repositories.get(key);
    const layer = await this.#meta.layers.get(repo.id, digest);
    if (layer !== undefined && opts.forPush === true) await this.#meta.blobs.refresh([digest], this.#clock.now(), TOUCH_RESOLUTION_MS);
    return layer;
  }

  /** The links of those blobs that the repository has (BatchCheckLayerAvailability). */
  async checkLayers(key: RepoKey, digests: readonly Digest[]): Promise<LayerRecord[]> {
    const repo = await this.#repositories.get(key);
    return this.#meta.layers.getMany(repo.id, digests);
  }

  /**
   * For each blob: its link to the repository (if any), how many images reference it and how
   * many of those are ACTIVE now (a blob only archived images use is itself archived).
   */
  async layerStates(
    key: RepoKey,
    digests: readonly Digest[],
    opts: { forPush?: boolean } = {},
  ): Promise<Map<Digest, { layer?: LayerRecord; images: number; active: number }>> {
    const repo = await this.#repositories.get(key);
    const links = new Map((await this.#meta.layers.getMany(repo.id, digests)).map((l) => [l.digest, l]));
    // BatchCheckLayerAvailability: a push skips what is AVAILABLE, so keep it from the sweep.
    if (opts.forPush === true && links.size > 0) await this.#meta.blobs.refresh([...links.keys()], this.#clock.now(), TOUCH_RESOLUTION_MS);
    const refs = await this.#meta.images.blobReferences(repo.id, digests, this.#clock.now());
    const states = new Map<Digest, { layer?: LayerRecord; images: number; active: number }>();
    for (const digest of digests) {
      const layer = links.get(digest);
      const r = refs.get(digest) ?? { images: 0, active: 0 };
      states.set(digest, { ...(layer !== undefined ? { layer } : {}), ...r });
    }
    return states;
  }

  /**
   * Throws BlobUnknown when the repository has no such blob. `forPush`: the answer tells a push
   * it need not upload the blob, so garbage collection's grace period starts again.
   */
  async getLayer(key: RepoKey, digest: Digest, opts: { forPush?: boolean } = {}): Promise<LayerRecord> {
    const repo = await this.#repositories.get(key);
    const layer = await this.#meta.layers.get(repo.id, digest);
    if (layer === undefined) throw new ImageError('BlobUnknown', { name: repo.name, registryId: repo.accountId, digest });
    if (opts.forPush === true) await this.#meta.blobs.refresh([digest], this.#clock.now(), TOUCH_RESOLUTION_MS);
    return layer;
  }

  /**
   * A stream of a blob of the repository (or of the byte range `range`, clamped to its end).
   * Throws BlobUnknown, RangeInvalid.
   */
  async readLayer(
    key: RepoKey,
    digest: Digest,
    opts: { range?: ByteRange; signal?: AbortSignal } = {},
  ): Promise<{ layer: LayerRecord; span?: { start: number; end: number }; stream: Readable }> {
    const repo = await this.#repositories.get(key);
    const at = { name: key.name, registryId: key.accountId, digest };
    const layer = await this.#meta.layers.get(repo.id, digest);
    if (layer === undefined) throw new ImageError('BlobUnknown', at);
    // A KMS repository's layers are readable only while its key is usable (re-read every time).
    await this.#encryption.checkKey(repo);
    try {
      const span = resolveRange(opts.range, layer.size);
      const stream = await this.#blobsOf(repo).read(digest, opts);
      return { layer, ...(span !== undefined ? { span } : {}), stream };
    } catch (e) {
      if (e instanceof InvalidRangeError) throw new ImageError('RangeInvalid', { ...at, size: layer.size });
      if (e instanceof BlobNotFoundError) throw new ImageError('BlobUnknown', at);
      if (e instanceof KmsError) throw kmsKeyUnusable(repo, e);
      throw e;
    }
  }

  /**
   * Links a blob of `source` to `target` without copying it, when ECR would: same account and
   * region, identical encryption configuration, and the source has the blob. Returns undefined
   * otherwise (the caller then starts an ordinary upload), also when garbage collection takes
   * the blob meanwhile (the link needs the blob's record, which the sweep removes first). Whether mounting is enabled and the
   * caller may read the source are the caller's checks — source: ECR user guide, "Blob mounting".
   */
  async mountLayer(target: RepoKey, source: RepoKey, digest: Digest): Promise<LayerRecord | undefined> {
    const to = await this.#repositories.get(target);
    if (source.accountId !== target.accountId || source.region !== target.region) return undefined;
    const from = await this.#repositories.find(source);
    if (from === undefined || from.encryptionType !== to.encryptionType || from.kmsKey !== to.kmsKey) return undefined;
    const existing = await this.#meta.layers.get(to.id, digest);
    if (existing !== undefined) {
      await this.#meta.blobs.refresh([digest], this.#clock.now(), TOUCH_RESOLUTION_MS);
      return existing;
    }
    const link = await this.#meta.layers.get(from.id, digest);
    // Same key, same store: the blob is there for `to` as well.
    if (link === undefined || (await this.#blobsOf(from).stat(digest)) === undefined) return undefined;
    return this.#meta.layers.link({
      repositoryId: to.id,
      digest,
      size: link.size,
      ...(link.mediaType !== undefined ? { mediaType: link.mediaType } : {}),
      linkedAt: this.#clock.now(),
    });
  }

  // ——— Upload sessions ———

  /** A session whose id the caller hands to its client (registry POST, InitiateLayerUpload). */
  startUpload(key: RepoKey): Promise<UploadState> {
    return this.#startSession(key, true);
  }

  async #startSession(key: RepoKey, announced: boolean): Promise<UploadState> {
    const repo = await this.#repositories.get(key);
    await this.#encryption.checkKey(repo);
    const upload = await this.#withKms(repo, () => this.#blobsOf(repo).startUpload());
    const record: UploadRecord = { id: upload.id, repositoryId: repo.id, startedAt: upload.startedAt, parts: 0, lastPartSize: 0, announced };
    try {
      await this.#meta.uploads.create(record);
    } catch (e) {
      await upload.cancel();
      throw e;
    }
    return stateOf(record, upload);
  }

  /**
   * Forgets upload sessions started before `olderThan` — abandoned pushes would otherwise keep
   * their partial bytes forever — and any partial data the blob store holds without a record.
   * Returns how many sessions went.
   */
  async purgeStaleUploads(olderThan: Date): Promise<number> {
    const ids = await this.#meta.uploads.startedBefore(olderThan);
    const stores = await this.#encryption.allStores();
    for (const id of ids) {
      await this.#serial(id, async () => {
        // A session lives in its repository's store; one that cannot be opened now (its KMS key
        // disabled) goes with the store's own purge below.
        for (const store of stores) await (await store.openUpload(id).catch(() => undefined))?.cancel();
        await this.#meta.uploads.delete(id);
      });
    }
    let purged = ids.length;
    for (const store of stores) purged += await store.purgeUploads(olderThan);
    return purged;
  }

  /**
   * Removes the sessions of single-request uploads, which no client knows of: any there is
   * was cut off by a crash and can never be resumed. Only for start-up, before requests are
   * served — a running server has such sessions in flight. Returns how many went.
   */
  async purgeUnannouncedUploads(): Promise<number> {
    const ids = await this.#meta.uploads.unannounced();
    for (const id of ids) await this.#serial(id, () => this.#discard(undefined, id));
    return ids.length;
  }

  /** Throws UploadNotFound. */
  async uploadStatus(key: RepoKey, id: string): Promise<UploadState> {
    return this.#serial(id, async () => {
      const { record, upload } = await this.#openSession(key, id);
      return stateOf(record, upload);
    });
  }

  /**
   * Streams `body` into the session while hashing it. A part must start where the session
   * ends (`offset`); an append is all or nothing (a broken body leaves the session as it was).
   */
  async appendUpload(key: RepoKey, id: string, body: Readable, opts: AppendOptions = {}): Promise<UploadState> {
    return this.#serial(id, async () => {
      const { repo, record, upload } = await this.#openSession(key, id);
      await this.#encryption.checkKey(repo);
      const part = await this.#append(repo, record, upload, body, opts);
      return stateOf(part > 0 ? afterPart(record, part) : record, upload);
    });
  }

  /**
   * Appends the last part (if any), checks the content against `digest`, makes it a blob
   * durably and only then links it to the repository. A mismatch discards the session.
   */
  async completeUpload(
    key: RepoKey,
    id: string,
    digest: Digest,
    last?: { body: Readable } & AppendOptions,
  ): Promise<LayerRecord> {
    return this.#serial(id, async () => {
      const { repo, record, upload } = await this.#openSession(key, id);
      await this.#encryption.checkKey(repo);
      if (last !== undefined) await this.#append(repo, record, upload, last.body, last);
      return this.#commit(repo, upload, digest);
    });
  }

  /** Discards the session and its bytes. Throws UploadNotFound. */
  async cancelUpload(key: RepoKey, id: string): Promise<void> {
    return this.#serial(id, async () => {
      const { upload } = await this.#openSession(key, id);
      await upload.cancel();
      await this.#meta.uploads.delete(id);
    });
  }

  /** A whole blob in one go (the registry's `POST ?digest=`), in a session no client is told of. */
  async pushBlob(key: RepoKey, digest: Digest, body: Readable, opts: AppendOptions = {}): Promise<LayerRecord> {
    const state = await this.#startSession(key, false);
    try {
      return await this.completeUpload(key, state.id, digest, { ...opts, body });
    } catch (e) {
      await this.#discard(key, state.id);
      throw e;
    }
  }

  // ——— internals ———

  /** Whether pushes to the repository are scanned: its own setting or a registry scanning rule. */
  async #scansOnPush(repo: RepositoryRecord): Promise<boolean> {
    if (repo.scanOnPush) return true;
    const stored = await this.#meta.settings.get(repo.accountId, repo.region, REGISTRY_SCANNING_SETTING);
    return repositoryScanning(parseScanningConfig(stored), repo).scansOnPush;
  }

  async #find(repo: RepositoryRecord, ref: Reference): Promise<ImageRecord | undefined> {
    return ref.kind === 'digest' ? this.#meta.images.get(repo.id, ref.digest) : this.#meta.images.getByTag(repo.id, ref.tag);
  }

  async #require(repo: RepositoryRecord, ref: Reference): Promise<ImageRecord> {
    const image = await this.#find(repo, ref);
    if (image === undefined) throw this.#notFound(repo, ref);
    return image;
  }

  #notFound(repo: RepositoryRecord, ref: Reference): ImageError<'ImageNotFound'> {
    return new ImageError('ImageNotFound', {
      name: repo.name,
      registryId: repo.accountId,
      ...(ref.kind === 'digest' ? { imageDigest: ref.digest } : { imageTag: ref.tag }),
    });
  }

  /**
   * imageSizeInBytes as ECR reports it: the compressed sizes of config and layers as the
   * manifest declares them; for an index, the largest of its children — source: ECR model,
   * ImageDetail.imageSizeInBytes. Schema 1 records no sizes, so its linked blobs' sizes count.
   */
  async #imageSize(repo: RepositoryRecord, parsed: ParsedManifest): Promise<number> {
    if (parsed.kind === 'index') {
      let max = 0;
      for (const child of parsed.manifests) {
        const image = await this.#meta.images.get(repo.id, child.digest);
        if (image !== undefined) max = Math.max(max, image.size);
      }
      return max;
    }
    if (parsed.schemaVersion === 1) {
      const links = await this.#meta.layers.getMany(repo.id, parsed.layers.map((l) => l.digest));
      return links.reduce((sum, l) => sum + l.size, 0);
    }
    return parsed.config.size + parsed.layers.reduce((sum, l) => sum + l.size, 0);
  }

  /**
   * A descriptor's size must be the size of what it names: "If the length of the retrieved
   * content does not match the specified length, the content SHOULD NOT be trusted" — source:
   * OCI image-spec, descriptor.md "size". Checked for the blobs the repository has (missing ones
   * are ManifestBlobUnknown later; foreign layers live elsewhere) and for an index's children
   * that are images of it. Schema 1 manifests declare no sizes.
   */
  async #checkDescriptorSizes(repo: RepositoryRecord, parsed: ParsedManifest): Promise<void> {
    const at = { name: repo.name, registryId: repo.accountId };
    if (parsed.kind === 'index') {
      for (const child of parsed.manifests) {
        const bytes = await this.#meta.images.manifest(repo.id, child.digest);
        if (bytes !== undefined && bytes.byteLength !== child.size) {
          throw new ImageError('ManifestSizeMismatch', { ...at, digest: child.digest, declared: child.size, actual: bytes.byteLength });
        }
      }
      return;
    }
    if (parsed.schemaVersion === 1) return;
    const descriptors = [parsed.config, ...parsed.layers];
    const links = new Map((await this.#meta.layers.getMany(repo.id, descriptors.map((d) => d.digest))).map((l) => [l.digest, l.size]));
    for (const d of descriptors) {
      const actual = links.get(d.digest);
      if (actual !== undefined && actual !== d.size) {
        throw new ImageError('ManifestSizeMismatch', { ...at, digest: d.digest, declared: d.size, actual });
      }
    }
  }

  async #openSession(key: RepoKey, id: string): Promise<{ repo: RepositoryRecord; record: UploadRecord; upload: Upload }> {
    const repo = await this.#repositories.get(key);
    const record = await this.#meta.uploads.get(id);
    const notFound = () => new ImageError('UploadNotFound', { name: repo.name, registryId: repo.accountId, uploadId: id });
    if (record === undefined || record.repositoryId !== repo.id) throw notFound();
    const upload = await this.#withKms(repo, () => this.#blobsOf(repo).openUpload(id));
    if (upload === undefined) {
      // The store lost it (purged, or committed just before a crash): forget the record too.
      await this.#meta.uploads.delete(id);
      throw notFound();
    }
    return { repo, record, upload };
  }

  /** Returns the part's size. */
  async #append(repo: RepositoryRecord, record: UploadRecord, upload: Upload, body: Readable, opts: AppendOptions): Promise<number> {
    const at = { name: repo.name, registryId: repo.accountId, uploadId: upload.id };
    if (opts.offset !== undefined && opts.offset !== upload.size) {
      throw new ImageError('UploadOutOfOrder', { ...at, size: upload.size, firstByte: opts.offset });
    }
    const before = upload.size;
    try {
      await upload.append(body, {
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        ...(opts.maxLength !== undefined ? { maxBytes: before + opts.maxLength } : {}),
      });
    } catch (e) {
      if (e instanceof UploadNotFoundError) throw new ImageError('UploadNotFound', at);
      if (e instanceof UploadTooLargeError) {
        throw new ImageError('UploadInvalid', { ...at, reason: 'the part is longer than its Content-Range or Content-Length' });
      }
      throw e;
    }
    const part = upload.size - before;
    if (part > 0) await this.#meta.uploads.recordPart(record.id, part);
    return part;
  }

  async #commit(repo: RepositoryRecord, upload: Upload, digest: Digest): Promise<LayerRecord> {
    // No sweep claims the digest from here until its record and link are written; one deleting
    // these bytes right now finishes first, so the commit writes them after the deletion.
    const release = this.#sweeps.committing(digest);
    try {
      while (await this.#sweeps.waitFor(digest));
      let size: number;
      try {
        ({ size } = await upload.commit(digest));
      } catch (e) {
        if (e instanceof DigestMismatchError) {
          // The store has dropped the session and its bytes: nothing of it stays visible.
          await this.#meta.uploads.delete(upload.id);
          throw new ImageError('DigestMismatch', {
            name: repo.name,
            registryId: repo.accountId,
            uploadId: upload.id,
            expected: e.expected,
            actual: e.actual,
          });
        }
        throw e;
      }
      // The blob is durable now; only from here on may metadata point at it. Record, link and
      // the end of the session are one transaction (one commit to disk, not three). A crash
      // before it leaves bytes without a record, which the next sweep adopts.
      return await this.#meta.layers.commit({ repositoryId: repo.id, digest, size, linkedAt: this.#clock.now() }, upload.id);
    } finally {
      release();
    }
  }

  async #discard(key: RepoKey | undefined, id: string): Promise<void> {
    const repo = key !== undefined ? await this.#repositories.find(key).catch(() => undefined) : undefined;
    const stores = repo !== undefined ? [this.#blobsOf(repo)] : await this.#encryption.allStores();
    for (const store of stores) await (await store.openUpload(id).catch(() => undefined))?.cancel().catch(() => undefined);
    await this.#meta.uploads.delete(id);
  }

  /** The blob store of the repository: the plain one, or its KMS key's sealed one. */
  #blobsOf(repo: RepositoryRecord): BlobStore {
    return this.#encryption.blobsFor(repo);
  }

  /** Runs a blob-store call that may need the repository's KMS key; KMS refusals become KmsKeyUnusable. */
  async #withKms<T>(repo: RepositoryRecord, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof KmsError) throw kmsKeyUnusable(repo, e);
      throw e;
    }
  }

  /** Runs `task` after every earlier task of the same session. */
  async #serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#sessionTails.get(id) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    this.#sessionTails.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#sessionTails.get(id) === tail) this.#sessionTails.delete(id);
    }
  }
}

/** The record once a part of `size` bytes is appended (as SqliteUploads.recordPart stores it). */
function afterPart(record: UploadRecord, size: number): UploadRecord {
  const { smallestPart: _, ...rest } = record;
  const smallest = record.parts === 0 ? undefined : Math.min(record.smallestPart ?? record.lastPartSize, record.lastPartSize);
  return { ...rest, parts: record.parts + 1, lastPartSize: size, ...(smallest !== undefined ? { smallestPart: smallest } : {}) };
}

function stateOf(record: UploadRecord, upload: Upload): UploadState {
  return {
    id: record.id,
    size: upload.size,
    startedAt: record.startedAt,
    parts: record.parts,
    lastPartSize: record.lastPartSize,
    ...(record.smallestPart !== undefined ? { smallestPart: record.smallestPart } : {}),
    digest: upload.digest(),
  };
}
