import type { ManifestInvalidKind } from '../oci/manifest.js';

/**
 * What went wrong in the image domain, by meaning. Each front maps a kind to its wire form
 * exactly once (services/ecr/map-errors.ts for the API, registry/map-errors.ts for the registry).
 */
interface InRepository {
  /** Repository name. */
  name: string;
  /** The registry (account) id. */
  registryId: string;
}

export interface ImageErrorArgs {
  RepositoryNotFound: InRepository;
  RepositoryAlreadyExists: InRepository;
  RepositoryNotEmpty: InRepository;
  /** No image with that tag or digest. */
  ImageNotFound: InRepository & { imageDigest?: string; imageTag?: string };
  /** The tag names another image and may not move (tag immutability). */
  TagImmutable: InRepository & { tag: string };
  /** Not a manifest we store: bad JSON, schema, media type, or too large (`invalid` says which, when the parser knows). */
  ManifestInvalid: InRepository & { reason: string; invalid?: ManifestInvalidKind };
  /** The manifest's digest is not the one the request named. */
  ManifestDigestMismatch: InRepository & { expected: string; actual: string };
  /**
   * A descriptor's size is not the size of the content it names (a blob of the repository, or
   * an image an index lists).
   */
  ManifestSizeMismatch: InRepository & { digest: string; declared: number; actual: number };
  /** Config or layer blobs the manifest references are not in the repository. */
  ManifestBlobUnknown: InRepository & { digests: string[] };
  /** Manifests an index lists are not images of the repository. */
  ReferencedImagesNotFound: InRepository & { digests: string[] };
  /** Deleting the image would leave an index pointing at nothing. */
  ImageReferencedByManifestList: InRepository & { imageDigest: string; parents: string[] };
  /** The blob is not linked to the repository (or gone from the store). */
  BlobUnknown: InRepository & { digest: string };
  /** No upload session with that id in this repository. */
  UploadNotFound: InRepository & { uploadId: string };
  /** A part does not start where the session ends. `size` is what the session holds. */
  UploadOutOfOrder: InRepository & { uploadId: string; size: number; firstByte: number };
  /** A part that contradicts its own framing (more bytes than its Content-Range says). */
  UploadInvalid: InRepository & { uploadId: string; reason: string };
  /** The uploaded bytes do not hash to the digest the client named; nothing was kept. */
  DigestMismatch: InRepository & { uploadId: string; expected: string; actual: string };
  /** A byte range outside the blob. */
  RangeInvalid: InRepository & { digest: string; size: number };
  /** The image is in the archive storage class (or still being restored from it): it cannot be pulled or scanned. */
  ImageArchived: InRepository & { imageDigest: string; imageTag?: string; status: 'ARCHIVED' | 'ACTIVATING' };
  /** The repository's KMS key cannot be used now (disabled, pending deletion, deleted): `kmsError` is KMS's exception name, `reason` its text. */
  KmsKeyUnusable: InRepository & { kmsError: string; reason: string };
}

export type ImageErrorKind = keyof ImageErrorArgs;

/** The kind and its arguments as one discriminated union, so a `switch` narrows both. */
export type ImageErrorDetail = { [K in ImageErrorKind]: { kind: K } & ImageErrorArgs[K] }[ImageErrorKind];

export class ImageError<K extends ImageErrorKind = ImageErrorKind> extends Error {
  constructor(
    readonly kind: K,
    readonly args: ImageErrorArgs[K],
  ) {
    super(`${kind} ${JSON.stringify(args)}`);
    this.name = 'ImageError';
  }

  get detail(): ImageErrorDetail {
    // Sound: `kind` and `args` come from one K; TypeScript cannot correlate them through the mapped type.
    return { kind: this.kind, ...this.args } as ImageErrorDetail;
  }
}

export function isImageError<K extends ImageErrorKind>(e: unknown, kind: K): e is ImageError<K> {
  return e instanceof ImageError && e.kind === kind;
}
