/**
 * Builds images from generated random layers (valid tar.gz, one file each) and writes them as
 * OCI image layouts for skopeo: `buildImage({ layers: 2, layerSize: 1 << 20, seed: 7 })`.
 * Nothing large is committed; everything is made per test.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from './registry.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

const digestOf = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface BuiltImage {
  manifest: Buffer;
  digest: string;
  mediaType: string;
  config: Buffer;
  layers: Buffer[];
  /** Config first, then layers. */
  blobs: Buffer[];
  /** config.size + layer sizes: ECR's imageSizeInBytes. */
  size: number;
  descriptor: Descriptor;
}

/** A tar archive holding one regular file. */
function tarOf(fileName: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(fileName, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

export async function buildImage(opts: {
  layers: number;
  layerSize: number;
  seed: number;
  format?: 'oci' | 'docker';
  platform?: { os: string; architecture: string };
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}): Promise<BuiltImage> {
  const docker = opts.format === 'docker';
  const layers: Buffer[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < opts.layers; i++) {
    const tar = tarOf(`file-${opts.seed}-${i}.bin`, await randomBytes(opts.layerSize, opts.seed * 1000 + i));
    diffIds.push(digestOf(tar));
    layers.push(gzipSync(tar, { level: 1 }));
  }
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(
    JSON.stringify({ ...platform, config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: [] }),
  );
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType,
        ...(opts.artifactType !== undefined ? { artifactType: opts.artifactType } : {}),
        config: { mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, digest: digestOf(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: docker ? DOCKER_LAYER : OCI_LAYER_GZIP, digest: digestOf(l), size: l.length })),
        ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
        ...(opts.annotations !== undefined ? { annotations: opts.annotations } : {}),
      },
      null,
      2,
    ),
  );
  const digest = digestOf(manifest);
  return {
    manifest,
    digest,
    mediaType,
    config,
    layers,
    blobs: [config, ...layers],
    size: config.length + layers.reduce((n, l) => n + l.length, 0),
    descriptor: { mediaType, digest, size: manifest.length, platform },
  };
}

export interface BuiltIndex {
  manifest: Buffer;
  digest: string;
  mediaType: string;
  images: BuiltImage[];
}

export function buildIndex(images: BuiltImage[], mediaType = OCI_INDEX): BuiltIndex {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: images.map((i) => i.descriptor) }, null, 2));
  return { manifest, digest: digestOf(manifest), mediaType, images };
}

/** An OCI image layout (`oci:<dir>:<tag>` for skopeo) holding `roots` under their tags. */
export async function writeOciLayout(dir: string, roots: { tag: string; manifest: Buffer; mediaType: string; blobs: Buffer[] }[]): Promise<void> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = [];
  for (const root of roots) {
    for (const blob of [...root.blobs, root.manifest]) await writeFile(join(blobsDir, digestOf(blob).slice(7)), blob);
    manifests.push({
      mediaType: root.mediaType,
      digest: digestOf(root.manifest),
      size: root.manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': root.tag },
    });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}

/** Everything an index needs in a layout: its children's manifests and blobs. */
export function indexBlobs(index: BuiltIndex): Buffer[] {
  return index.images.flatMap((i) => [...i.blobs, i.manifest]);
}
