/**
 * Media types of the Docker and OCI image formats.
 * — sources: https://github.com/opencontainers/image-spec/blob/v1.1.0/media-types.md,
 *   https://github.com/distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md
 */
export const MediaType = {
  // Docker image manifest, version 2, schema 2, and its manifest list ("fat manifest").
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  // Docker schema 1 (deprecated; ECR still stores it).
  DockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerPluginConfig: 'application/vnd.docker.plugin.v1+json',

  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated by image-spec 1.1 but still found in the wild. */
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The `{}` blob used as config (and sole layer) of artifacts. */
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** Types of a single image manifest (not an index). */
export const IMAGE_MANIFEST_MEDIA_TYPES = [
  MediaType.OciManifest,
  MediaType.DockerManifest,
  MediaType.DockerSchema1Manifest,
  MediaType.DockerSchema1SignedManifest,
] as const;
export type ImageManifestMediaType = (typeof IMAGE_MANIFEST_MEDIA_TYPES)[number];

/** Types of a manifest that lists other manifests. */
export const INDEX_MEDIA_TYPES = [MediaType.OciIndex, MediaType.DockerManifestList] as const;
export type IndexMediaType = (typeof INDEX_MEDIA_TYPES)[number];

/** Every type that can be PUT to `/v2/<name>/manifests/<reference>`. */
export const MANIFEST_MEDIA_TYPES = [...IMAGE_MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES] as const;
export type ManifestMediaType = ImageManifestMediaType | IndexMediaType;

export function isIndexMediaType(mediaType: string): mediaType is IndexMediaType {
  return (INDEX_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

export function isImageManifestMediaType(mediaType: string): mediaType is ImageManifestMediaType {
  return (IMAGE_MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/** True for any manifest type, image manifest or index (use `isImageManifestMediaType` for the former only). */
export function isManifestMediaType(mediaType: string): mediaType is ManifestMediaType {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/**
 * `type/subtype` of a Content-Type header value: parameters dropped, lowercased, trimmed.
 * Returns `undefined` for a missing or empty header.
 */
export function normalizeMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

// RFC 6838 §4.2: type-name "/" subtype-name, each restricted-name (1–127 chars).
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE_SYNTAX = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/** Whether a string is syntactically a media type (RFC 6838), optionally with parameters. */
export function isMediaTypeSyntax(value: string): boolean {
  if (value.length > 1024) return false;
  const semicolon = value.indexOf(';');
  return MEDIA_TYPE_SYNTAX.test(semicolon === -1 ? value : value.slice(0, semicolon).trimEnd());
}
