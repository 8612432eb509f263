/**
 * Parsing and validation of image manifests and indexes: OCI image-spec v1.1, Docker image
 * manifest v2 schema 2 (and its manifest list), and enough of Docker schema 1 to list its layers.
 * Pure: bytes in, a `ParsedManifest` out, or a `ManifestInvalidError` saying why not.
 * — sources: https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md,
 *   https://github.com/opencontainers/image-spec/blob/v1.1.0/image-index.md,
 *   https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md,
 *   https://github.com/distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md
 */
import { InvalidDigestError, parseDigest, sha256Digest, type Digest } from './digest.js';
import {
  MediaType,
  isManifestMediaType,
  isMediaTypeSyntax,
  normalizeMediaType,
  type IndexMediaType,
  type ManifestMediaType,
} from './media-types.js';

export type ManifestInvalidKind =
  /** The body is not UTF-8 JSON, or not a JSON object. */
  | 'json'
  /** The declared or embedded media type is not a manifest type we store. */
  | 'unsupported-media-type'
  /** The Content-Type and the body's `mediaType` (or its shape) disagree. */
  | 'media-type-mismatch'
  /** A field is missing or has the wrong type or value. */
  | 'schema';

export class ManifestInvalidError extends Error {
  constructor(
    readonly kind: ManifestInvalidKind,
    /** A human explanation, fit for the `detail` of a MANIFEST_INVALID error. */
    readonly reason: string,
  ) {
    super(`manifest invalid: ${reason}`);
    this.name = 'ManifestInvalidError';
  }
}

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

export type Annotations = Readonly<Record<string, string>>;

/** A content descriptor; unknown fields of the JSON are dropped. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Annotations;
  /** Base64 of the content itself; verified against `size` and `digest`. */
  readonly data?: string;
  readonly artifactType?: string;
  /** Only on the children of an index. */
  readonly platform?: Platform;
}

/** An OCI image manifest or a Docker schema 2 manifest. */
export interface ImageManifest {
  readonly kind: 'manifest';
  readonly schemaVersion: 2;
  readonly mediaType: typeof MediaType.OciManifest | typeof MediaType.DockerManifest;
  /**
   * `artifactType` of the manifest, or else `config.mediaType`: the value the referrers API
   * reports — source: https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#listing-referrers
   */
  readonly artifactType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly manifests: readonly [];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

/** An OCI image index or a Docker manifest list. */
export interface ImageIndex {
  readonly kind: 'index';
  readonly schemaVersion: 2;
  readonly mediaType: IndexMediaType;
  readonly artifactType?: string;
  readonly config?: undefined;
  readonly layers: readonly [];
  /** The child manifests, with their `platform` when given. */
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

/** A layer of a schema 1 manifest: the manifest does not record sizes. */
export interface Schema1Layer {
  readonly mediaType: typeof MediaType.DockerLayer;
  readonly digest: Digest;
  readonly size?: undefined;
}

/** Docker image manifest v2 schema 1 (signed or not); signatures are not verified. */
export interface Schema1Manifest {
  readonly kind: 'manifest';
  readonly schemaVersion: 1;
  readonly mediaType: typeof MediaType.DockerSchema1Manifest | typeof MediaType.DockerSchema1SignedManifest;
  readonly artifactType?: undefined;
  readonly config?: undefined;
  /** `fsLayers[].blobSum`, base layer first, each digest once. */
  readonly layers: readonly Schema1Layer[];
  readonly manifests: readonly [];
  readonly subject?: undefined;
  readonly annotations?: undefined;
  readonly name?: string;
  readonly tag?: string;
  readonly architecture?: string;
}

export type ParsedManifest = ImageManifest | ImageIndex | Schema1Manifest;

export interface ParseManifestOptions {
  /**
   * A Docker schema 2 manifest or list needs `mediaType` in its body when pushed through the
   * registry (as distribution requires); ECR's PutImage accepts one without it when the request
   * names the type in imageManifestMediaType — source: ECR model, PutImageRequest ("If you push an
   * image manifest that does not contain the mediaType field, you must specify the
   * imageManifestMediaType in the request"), getmoto/moto#6135.
   */
  declaredTypeSuffices?: boolean;
}

/** Content-Type values that say nothing about which manifest format the body is. */
const GENERIC_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Json = Readonly<Record<string, unknown>>;

const invalid = (reason: string): ManifestInvalidError => new ManifestInvalidError('schema', reason);

/**
 * Parses and validates a manifest.
 *
 * @param bytes the body exactly as received (its digest is the manifest's digest)
 * @param declaredContentType the Content-Type it came with (PUT header or ECR's
 *   `imageManifestMediaType`); parameters are ignored, and an absent or generic
 *   (`application/json`) type lets the body decide.
 */
export function parseManifest(bytes: Uint8Array, declaredContentType?: string, options: ParseManifestOptions = {}): ParsedManifest {
  const declared = declaredManifestType(declaredContentType);
  const doc = parseJsonObject(bytes);

  const bodyType = optionalString(doc, 'mediaType', 'mediaType');
  if (bodyType !== undefined && declared !== undefined && bodyType !== declared) {
    throw new ManifestInvalidError(
      'media-type-mismatch',
      `mediaType ${bodyType} in the manifest does not match the declared type ${declared}`,
    );
  }

  const { schemaVersion } = doc;
  if (schemaVersion === 1) return parseSchema1(doc, declared ?? bodyType);
  if (schemaVersion !== 2) {
    throw invalid(
      schemaVersion === undefined ? 'schemaVersion is required' : `schemaVersion must be 2, got ${JSON.stringify(schemaVersion)}`,
    );
  }

  const mediaType = bodyType ?? declared ?? inferType(doc);
  switch (mediaType) {
    case MediaType.OciManifest:
    case MediaType.DockerManifest:
      return parseImageManifest(doc, mediaType, options.declaredTypeSuffices === true ? (bodyType ?? declared) : bodyType);
    case MediaType.OciIndex:
    case MediaType.DockerManifestList:
      return parseIndex(doc, mediaType, options.declaredTypeSuffices === true ? (bodyType ?? declared) : bodyType);
    case MediaType.DockerSchema1Manifest:
    case MediaType.DockerSchema1SignedManifest:
      throw new ManifestInvalidError('media-type-mismatch', `a ${mediaType} manifest must have schemaVersion 1`);
    default:
      throw new ManifestInvalidError('unsupported-media-type', `unsupported manifest media type ${mediaType}`);
  }
}

/** The digests of the blobs a manifest references (config first, then layers), each once. */
export function referencedBlobs(manifest: ParsedManifest): Digest[] {
  const digests = new Set<Digest>();
  if (manifest.config !== undefined) digests.add(manifest.config.digest);
  for (const layer of manifest.layers) digests.add(layer.digest);
  return [...digests];
}

function declaredManifestType(contentType: string | undefined): ManifestMediaType | undefined {
  const type = normalizeMediaType(contentType);
  if (type === undefined || GENERIC_CONTENT_TYPES.has(type)) return undefined;
  if (!isManifestMediaType(type)) {
    throw new ManifestInvalidError('unsupported-media-type', `unsupported manifest media type ${type}`);
  }
  return type;
}

function parseJsonObject(bytes: Uint8Array): Json {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ManifestInvalidError('json', 'manifest is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ManifestInvalidError('json', `manifest is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(value)) throw new ManifestInvalidError('json', 'manifest must be a JSON object');
  return value;
}

/** Neither the body nor the request names the type: decide from the fields, as OCI allows. */
function inferType(doc: Json): ManifestMediaType {
  const hasManifests = doc.manifests !== undefined;
  const hasImageFields = doc.config !== undefined || doc.layers !== undefined;
  if (hasManifests && !hasImageFields) return MediaType.OciIndex;
  if (hasImageFields && !hasManifests) return MediaType.OciManifest;
  throw invalid(
    hasManifests
      ? 'cannot tell the manifest type: both manifests and config/layers are present'
      : 'cannot tell the manifest type: no mediaType, manifests, config or layers',
  );
}

function parseImageManifest(
  doc: Json,
  mediaType: ImageManifest['mediaType'],
  bodyType: string | undefined,
): ImageManifest {
  if (mediaType === MediaType.DockerManifest && bodyType === undefined) {
    throw invalid(`mediaType is required in a ${mediaType} manifest`);
  }
  // An image manifest that also lists manifests is ambiguous (CVE-2021-41190); reject it as
  // distribution does — source: https://github.com/opencontainers/image-spec/security/advisories/GHSA-77vh-xpmg-72qh
  if (doc.manifests !== undefined) throw invalid('an image manifest must not have a manifests field');
  if (doc.config === undefined) throw invalid('config is required');
  const config = parseDescriptor(doc.config, 'config', false);
  const layers = requiredArray(doc, 'layers').map((layer, i) => parseDescriptor(layer, `layers[${i}]`, false));

  const isOci = mediaType === MediaType.OciManifest;
  // Docker schema 2 has no artifactType or subject; its unknown fields are ignored.
  const declaredArtifactType = isOci ? optionalMediaType(doc, 'artifactType', 'artifactType') : undefined;
  const subject = isOci && doc.subject !== undefined ? parseDescriptor(doc.subject, 'subject', false) : undefined;
  const annotations = optionalAnnotations(doc.annotations, 'annotations');
  // image-spec 1.1 requires artifactType when config is the empty descriptor; ECR and the
  // referrers API accept such manifests anyway and report config.mediaType.
  return {
    kind: 'manifest',
    schemaVersion: 2,
    mediaType,
    artifactType: declaredArtifactType ?? config.mediaType,
    config,
    layers,
    manifests: [],
    ...(subject !== undefined && { subject }),
    ...(annotations !== undefined && { annotations }),
  };
}

function parseIndex(doc: Json, mediaType: IndexMediaType, bodyType: string | undefined): ImageIndex {
  if (mediaType === MediaType.DockerManifestList && bodyType === undefined) {
    throw invalid(`mediaType is required in a ${mediaType} manifest`);
  }
  if (doc.config !== undefined || doc.layers !== undefined) {
    throw invalid('an index must not have config or layers fields');
  }
  const manifests = requiredArray(doc, 'manifests').map((m, i) => parseDescriptor(m, `manifests[${i}]`, true));
  const isOci = mediaType === MediaType.OciIndex;
  const artifactType = isOci ? optionalMediaType(doc, 'artifactType', 'artifactType') : undefined;
  const subject = isOci && doc.subject !== undefined ? parseDescriptor(doc.subject, 'subject', false) : undefined;
  const annotations = optionalAnnotations(doc.annotations, 'annotations');
  return {
    kind: 'index',
    schemaVersion: 2,
    mediaType,
    ...(artifactType !== undefined && { artifactType }),
    layers: [],
    manifests,
    ...(subject !== undefined && { subject }),
    ...(annotations !== undefined && { annotations }),
  };
}

function parseSchema1(doc: Json, type: string | undefined): Schema1Manifest {
  if (
    type !== undefined &&
    type !== MediaType.DockerSchema1Manifest &&
    type !== MediaType.DockerSchema1SignedManifest
  ) {
    throw new ManifestInvalidError('media-type-mismatch', `a schemaVersion 1 manifest cannot be ${type}`);
  }
  const fsLayers = requiredArray(doc, 'fsLayers');
  if (fsLayers.length === 0) throw invalid('fsLayers must not be empty');
  if (doc.history !== undefined) {
    const history = requiredArray(doc, 'history');
    if (history.length !== fsLayers.length) throw invalid('history must have one entry per fsLayers entry');
  }
  // fsLayers lists the top layer first; present them base first like schema 2, each blob once
  // (schema 1 repeats the empty layer for every metadata-only step).
  const layers: Schema1Layer[] = [];
  const seen = new Set<Digest>();
  for (let i = fsLayers.length - 1; i >= 0; i--) {
    const entry = fsLayers[i];
    if (!isObject(entry)) throw invalid(`fsLayers[${i}] must be an object`);
    const digest = digestField(entry.blobSum, `fsLayers[${i}].blobSum`);
    if (seen.has(digest)) continue;
    seen.add(digest);
    layers.push({ mediaType: MediaType.DockerLayer, digest });
  }
  const name = optionalString(doc, 'name', 'name');
  const tag = optionalString(doc, 'tag', 'tag');
  const architecture = optionalString(doc, 'architecture', 'architecture');
  const mediaType =
    type ?? (doc.signatures !== undefined ? MediaType.DockerSchema1SignedManifest : MediaType.DockerSchema1Manifest);
  return {
    kind: 'manifest',
    schemaVersion: 1,
    mediaType,
    layers,
    manifests: [],
    ...(name !== undefined && { name }),
    ...(tag !== undefined && { tag }),
    ...(architecture !== undefined && { architecture }),
  };
}

function parseDescriptor(value: unknown, path: string, inIndex: boolean): Descriptor {
  if (!isObject(value)) throw invalid(`${path} must be a descriptor object`);
  const mediaType = value.mediaType;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${path}.mediaType is required`);
  if (!isMediaTypeSyntax(mediaType)) throw invalid(`${path}.mediaType ${JSON.stringify(mediaType)} is not a media type`);
  const digest = digestField(value.digest, `${path}.digest`);
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${path}.size must be a non-negative integer`);
  }
  const urls = optionalStringArray(value.urls, `${path}.urls`);
  const annotations = optionalAnnotations(value.annotations, `${path}.annotations`);
  const artifactType = optionalMediaType(value, 'artifactType', `${path}.artifactType`);
  const data = optionalString(value, 'data', `${path}.data`);
  if (data !== undefined) checkEmbeddedData(data, digest, size, `${path}.data`);
  const platform = inIndex && value.platform !== undefined ? parsePlatform(value.platform, `${path}.platform`) : undefined;
  return {
    mediaType,
    digest,
    size,
    ...(urls !== undefined && { urls }),
    ...(annotations !== undefined && { annotations }),
    ...(data !== undefined && { data }),
    ...(artifactType !== undefined && { artifactType }),
    ...(platform !== undefined && { platform }),
  };
}

function parsePlatform(value: unknown, path: string): Platform {
  if (!isObject(value)) throw invalid(`${path} must be an object`);
  const { architecture, os } = value;
  if (typeof architecture !== 'string') throw invalid(`${path}.architecture is required`);
  if (typeof os !== 'string') throw invalid(`${path}.os is required`);
  const osVersion = optionalString(value, 'os.version', `${path}['os.version']`);
  const osFeatures = optionalStringArray(value['os.features'], `${path}['os.features']`);
  const variant = optionalString(value, 'variant', `${path}.variant`);
  const features = optionalStringArray(value.features, `${path}.features`);
  return {
    architecture,
    os,
    ...(osVersion !== undefined && { 'os.version': osVersion }),
    ...(osFeatures !== undefined && { 'os.features': osFeatures }),
    ...(variant !== undefined && { variant }),
    ...(features !== undefined && { features }),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `data` must be the content itself — source: image-spec v1.1 descriptor.md "Embedded Content". */
function checkEmbeddedData(data: string, digest: Digest, size: number, path: string): void {
  if (!BASE64.test(data)) throw invalid(`${path} must be base64`);
  const bytes = Buffer.from(data, 'base64');
  if (bytes.byteLength !== size) throw invalid(`${path} is ${bytes.byteLength} bytes but size is ${size}`);
  if (sha256Digest(bytes) !== digest) throw invalid(`${path} does not match digest ${digest}`);
}

function digestField(value: unknown, path: string): Digest {
  if (typeof value !== 'string') throw invalid(`${path} is required`);
  try {
    return parseDigest(value);
  } catch (e) {
    if (e instanceof InvalidDigestError) throw invalid(`${path}: ${e.reason}`);
    throw e;
  }
}

function requiredArray(doc: Json, key: string): readonly unknown[] {
  const value = doc[key];
  if (!Array.isArray(value)) throw invalid(`${key} must be an array`);
  return value;
}

function optionalString(obj: Json, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${path} must be a string`);
  return value;
}

function optionalMediaType(obj: Json, key: string, path: string): string | undefined {
  const value = optionalString(obj, key, path);
  if (value !== undefined && !isMediaTypeSyntax(value)) {
    throw invalid(`${path} ${JSON.stringify(value)} is not a media type`);
  }
  return value;
}

function optionalStringArray(value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw invalid(`${path} must be an array of strings`);
  }
  return [...value];
}

function optionalAnnotations(value: unknown, path: string): Annotations | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid(`${path} must be an object of strings`);
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(`${path}[${JSON.stringify(k)}] must be a string`);
    entries.push([k, v]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays an ordinary annotation.
  return Object.fromEntries(entries);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
