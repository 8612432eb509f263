import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertManifest, negotiateManifest } from './convert.js';
import { sha256Digest } from './digest.js';
import { parseManifest } from './manifest.js';
import { MediaType } from './media-types.js';

const config = sha256Digest('config');
const layer = sha256Digest('layer');
const docker = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: { mediaType: MediaType.DockerConfig, size: 6, digest: config },
    layers: [{ mediaType: MediaType.DockerLayer, size: 5, digest: layer }],
  }),
);

describe('negotiateManifest', () => {
  it('answers what is stored when the client accepts it, by digest, or with no Accept', () => {
    assert.equal(negotiateManifest(MediaType.DockerManifest, [], false), 'stored');
    assert.equal(negotiateManifest(MediaType.DockerManifest, [MediaType.DockerManifest, MediaType.OciManifest], false), 'stored');
    assert.equal(negotiateManifest(MediaType.DockerManifest, [MediaType.OciManifest], true), 'stored');
    assert.equal(negotiateManifest(MediaType.DockerManifest, ['*/*'], false), 'stored');
  });
  it('converts between Docker schema 2 and OCI by tag', () => {
    assert.equal(negotiateManifest(MediaType.DockerManifest, [MediaType.OciManifest], false), MediaType.OciManifest);
    assert.equal(negotiateManifest(MediaType.OciManifest, [MediaType.DockerManifest], false), MediaType.DockerManifest);
    assert.equal(negotiateManifest(MediaType.OciIndex, [MediaType.DockerManifest], false), 'stored');
  });
});

describe('convertManifest', () => {
  it('maps Docker schema 2 to OCI and back', () => {
    const oci = convertManifest(parseManifest(docker), MediaType.OciManifest);
    assert.ok(oci);
    const parsed = parseManifest(oci);
    assert.equal(parsed.mediaType, MediaType.OciManifest);
    assert.equal(parsed.config?.mediaType, MediaType.OciConfig);
    assert.deepEqual(parsed.layers.map((l) => [l.mediaType, l.digest, l.size]), [[MediaType.OciLayerGzip, layer, 5]]);
    const back = convertManifest(parsed, MediaType.DockerManifest);
    assert.ok(back);
    assert.equal(parseManifest(back).mediaType, MediaType.DockerManifest);
  });
  it('refuses what the other format cannot express', () => {
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.example+json',
        config: { mediaType: MediaType.OciEmpty, size: 2, digest: sha256Digest('{}') },
        layers: [],
      }),
    );
    assert.equal(convertManifest(parseManifest(artifact), MediaType.DockerManifest), undefined);
  });
});
