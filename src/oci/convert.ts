/**
 * The manifest conversions ECR makes when a client pulls *by tag* and does not accept the stored
 * format: Docker schema 2 ⇄ OCI image manifest (schema 1 conversion is not offered). Pulls by
 * digest are never converted, since the digest names the exact bytes.
 * — source: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html
 */
import type { ParsedManifest } from './manifest.js';
import { MediaType } from './media-types.js';

const DOCKER_TO_OCI: Readonly<Record<string, string>> = {
  [MediaType.DockerConfig]: MediaType.OciConfig,
  [MediaType.DockerLayer]: MediaType.OciLayerGzip,
  [MediaType.DockerForeignLayer]: MediaType.OciLayerNondistributableGzip,
};
const OCI_TO_DOCKER: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DOCKER_TO_OCI).map(([docker, oci]) => [oci, docker]),
);

/**
 * What to answer a pull with: the stored bytes, or a conversion to the format the client
 * accepts. `accepted` are the media types of the Accept header (empty: anything).
 */
export function negotiateManifest(
  storedType: string,
  accepted: readonly string[],
  byDigest: boolean,
): 'stored' | typeof MediaType.OciManifest | typeof MediaType.DockerManifest {
  if (byDigest || accepted.length === 0 || accepted.includes(storedType) || accepted.includes('*/*')) return 'stored';
  if (storedType === MediaType.DockerManifest && accepted.includes(MediaType.OciManifest)) return MediaType.OciManifest;
  if (storedType === MediaType.OciManifest && accepted.includes(MediaType.DockerManifest)) return MediaType.DockerManifest;
  // No conversion available: answer what is stored and let the client decide (as distribution does).
  return 'stored';
}

/**
 * The manifest in the other format, or undefined when it has parts the other format cannot
 * express (artifact types, a subject, zstd or uncompressed layers, non-image configs).
 */
export function convertManifest(
  parsed: ParsedManifest,
  target: typeof MediaType.OciManifest | typeof MediaType.DockerManifest,
): Buffer | undefined {
  if (parsed.kind !== 'manifest' || parsed.schemaVersion !== 2 || parsed.mediaType === target) return undefined;
  const table = target === MediaType.OciManifest ? DOCKER_TO_OCI : OCI_TO_DOCKER;
  if (target === MediaType.DockerManifest && (parsed.subject !== undefined || parsed.artifactType !== parsed.config.mediaType)) {
    return undefined;
  }
  const map = (mediaType: string): string | undefined => table[mediaType];
  const config = map(parsed.config.mediaType);
  if (config === undefined) return undefined;
  const layers: Record<string, unknown>[] = [];
  for (const l of parsed.layers) {
    const mediaType = map(l.mediaType);
    if (mediaType === undefined) return undefined;
    layers.push({ mediaType, size: l.size, digest: l.digest, ...(l.urls !== undefined ? { urls: l.urls } : {}) });
  }
  const doc = {
    schemaVersion: 2,
    mediaType: target,
    config: { mediaType: config, size: parsed.config.size, digest: parsed.config.digest },
    layers,
    ...(target === MediaType.OciManifest && parsed.annotations !== undefined ? { annotations: parsed.annotations } : {}),
  };
  // Three-space indentation, as docker writes its manifests.
  return Buffer.from(JSON.stringify(doc, null, 3), 'utf8');
}
