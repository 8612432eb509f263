import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { dockerArchive } from './image-archive.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('dockerArchive', () => {
  it('streams the config, each layer once and manifest.json, in docker-archive layout', async () => {
    // given
    const config = Buffer.from('{"os":"linux"}');
    const layer = Buffer.from('layer bytes');
    const blobs = new Map([config, layer].map((b) => [digestOf(b), b]));
    const ref = (b: Buffer) => ({ digest: digestOf(b), size: b.length });
    // when
    const archive = dockerArchive({ config: ref(config), layers: [ref(layer), ref(layer)], read: async (d) => Readable.from([blobs.get(d)!]) }, 'x/y:1');
    const files = new Map<string, Buffer>();
    const ex = extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          files.set(header.name, Buffer.concat(chunks));
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    archive.pipe(ex as unknown as NodeJS.WritableStream);
    await done;
    // then
    const hex = (b: Buffer) => digestOf(b).slice(7);
    assert.deepEqual([...files.keys()], [`${hex(config)}.json`, `${hex(layer)}/layer.tar`, 'manifest.json']);
    assert.deepEqual(JSON.parse(files.get('manifest.json')!.toString()), [
      { Config: `${hex(config)}.json`, RepoTags: ['x/y:1'], Layers: [`${hex(layer)}/layer.tar`, `${hex(layer)}/layer.tar`] },
    ]);
    assert.deepEqual(files.get(`${hex(layer)}/layer.tar`), layer);
  });
});
