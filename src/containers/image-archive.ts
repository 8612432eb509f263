/**
 * A `docker load` archive (docker-archive format: `manifest.json`, the config as `<hex>.json`,
 * each layer as `<hex>/layer.tar`) streamed from blobs, one entry after another. Layers go in as
 * stored (compressed); the engine decompresses them and checks them against the config's diff_ids.
 * Docker-archive rather than an OCI layout: Engine 20.10 loads only the former.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';

export interface BlobRef {
  digest: string;
  size: number;
}

/** What one image is made of, and how to read its blobs. */
export interface ImageContent {
  config: BlobRef;
  layers: readonly BlobRef[];
  read(digest: string): Promise<Readable>;
}

const hex = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

/** The archive as a stream; `repoTag` is the name the engine gives the loaded image. */
export function dockerArchive(content: ImageContent, repoTag: string): Readable {
  const tar = pack();
  const write = async () => {
    const files = [{ name: `${hex(content.config.digest)}.json`, blob: content.config }];
    const layerNames: string[] = [];
    const seen = new Set<string>();
    for (const layer of content.layers) {
      const name = `${hex(layer.digest)}/layer.tar`;
      layerNames.push(name);
      if (seen.has(name)) continue;
      seen.add(name);
      files.push({ name, blob: layer });
    }
    for (const f of files) {
      const entry = tar.entry({ name: f.name, size: f.blob.size, mode: 0o644 });
      await pipeline(await content.read(f.blob.digest), entry);
    }
    const manifest = JSON.stringify([{ Config: files[0]!.name, RepoTags: [repoTag], Layers: layerNames }]);
    tar.entry({ name: 'manifest.json', mode: 0o644 }, manifest);
    tar.finalize();
  };
  write().catch((e: unknown) => tar.destroy(e instanceof Error ? e : new Error(String(e))));
  // tar-stream's pack is a streamx stream: a Node Readable over its async iterator.
  return Readable.from(tar as AsyncIterable<Buffer>, { objectMode: false });
}
