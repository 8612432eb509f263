import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sha256Digest } from './digest.js';
import { ManifestInvalidError, parseManifest, referencedBlobs, type ManifestInvalidKind } from './manifest.js';
import { MediaType } from './media-types.js';

const d = (seed: string): string => sha256Digest(seed);
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const dockerManifest = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifest,
  config: { mediaType: MediaType.DockerConfig, size: 1469, digest: d('config') },
  layers: [
    { mediaType: MediaType.DockerLayer, size: 2811321, digest: d('layer1') },
    { mediaType: MediaType.DockerLayer, size: 100, digest: d('layer2') },
  ],
};

const ociManifest = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, size: 7023, digest: d('config') },
  layers: [{ mediaType: MediaType.OciLayerGzip, size: 32654, digest: d('layer1'), annotations: { 'org.example': 'x' } }],
  annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
};

const EMPTY_JSON = Buffer.from('{}');
const emptyDescriptor = { mediaType: MediaType.OciEmpty, size: 2, digest: sha256Digest(EMPTY_JSON), data: EMPTY_JSON.toString('base64') };

const ociIndex = {
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [
    { mediaType: MediaType.OciManifest, size: 7143, digest: d('amd64'), platform: { architecture: 'amd64', os: 'linux' } },
    {
      mediaType: MediaType.OciManifest,
      size: 7682,
      digest: d('arm64'),
      platform: { architecture: 'arm64', os: 'linux', variant: 'v8', 'os.features': ['x'] },
    },
  ],
};

const expectInvalid = (kind: ManifestInvalidKind, body: unknown, contentType?: string, reason?: RegExp): void => {
  const bytes = Buffer.isBuffer(body) ? body : json(body);
  assert.throws(
    () => parseManifest(bytes, contentType),
    (e: unknown) => {
      assert.ok(e instanceof ManifestInvalidError, `expected ManifestInvalidError, got ${String(e)}`);
      assert.equal(e.kind, kind, e.reason);
      if (reason) assert.match(e.reason, reason);
      return true;
    },
  );
};

describe('parseManifest: image manifests', () => {
  it('parses a Docker schema 2 manifest', () => {
    const m = parseManifest(json(dockerManifest), MediaType.DockerManifest);
    assert.equal(m.kind, 'manifest');
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.mediaType, MediaType.DockerManifest);
    assert.deepEqual(m.config, dockerManifest.config);
    assert.deepEqual(m.layers, dockerManifest.layers);
    assert.deepEqual(m.manifests, []);
    assert.equal(m.artifactType, MediaType.DockerConfig);
    assert.deepEqual(referencedBlobs(m), [d('config'), d('layer1'), d('layer2')]);
  });

  it('parses an OCI manifest with or without a declared type, ignoring Content-Type parameters', () => {
    for (const ct of [undefined, '', MediaType.OciManifest, `${MediaType.OciManifest}; charset=utf-8`, 'application/json']) {
      const m = parseManifest(json(ociManifest), ct);
      assert.equal(m.mediaType, MediaType.OciManifest);
      assert.deepEqual(m.annotations, ociManifest.annotations);
      assert.deepEqual(m.layers[0]?.annotations, { 'org.example': 'x' });
    }
  });

  it('takes the declared type when the body has no mediaType', () => {
    const { mediaType: _, ...body } = ociManifest;
    assert.equal(parseManifest(json(body), MediaType.OciManifest).mediaType, MediaType.OciManifest);
  });

  it('infers an OCI manifest when no type is given anywhere', () => {
    const { mediaType: _, ...body } = ociManifest;
    const m = parseManifest(json(body));
    assert.equal(m.kind, 'manifest');
    assert.equal(m.mediaType, MediaType.OciManifest);
  });

  it('drops unknown fields of descriptors', () => {
    const body = { ...ociManifest, config: { ...ociManifest.config, extra: 1 } };
    assert.deepEqual(parseManifest(json(body)).config, ociManifest.config);
  });

  it('parses an artifact manifest with subject, artifactType and embedded data', () => {
    const subject = { mediaType: MediaType.OciManifest, size: 100, digest: d('subject') };
    const m = parseManifest(
      json({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/vnd.example.sbom', config: emptyDescriptor, layers: [emptyDescriptor], subject }),
    );
    assert.equal(m.artifactType, 'application/vnd.example.sbom');
    assert.deepEqual(m.subject, subject);
    assert.equal(m.config?.data, 'e30=');
  });

  it('reports config.mediaType as artifactType when artifactType is missing, even for the empty config', () => {
    const m = parseManifest(json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: emptyDescriptor, layers: [] }));
    assert.equal(m.artifactType, MediaType.OciEmpty);
  });

  it('accepts an empty layers array', () => {
    assert.deepEqual(parseManifest(json({ ...ociManifest, layers: [] })).layers, []);
  });

  it('keeps a __proto__ annotation as an ordinary key', () => {
    const m = parseManifest(Buffer.from(JSON.stringify(ociManifest).replace('"org.opencontainers.image.created"', '"__proto__"')));
    assert.equal(Object.getPrototypeOf(m.annotations), Object.prototype);
    assert.deepEqual(Object.keys(m.annotations ?? {}), ['__proto__']);
  });
});

describe('parseManifest: indexes', () => {
  it('parses an OCI index with platforms', () => {
    const m = parseManifest(json(ociIndex), MediaType.OciIndex);
    assert.equal(m.kind, 'index');
    assert.equal(m.mediaType, MediaType.OciIndex);
    assert.deepEqual(m.manifests, ociIndex.manifests);
    assert.equal(m.manifests[1]?.platform?.variant, 'v8');
    assert.deepEqual(m.layers, []);
    assert.equal(m.config, undefined);
    assert.deepEqual(referencedBlobs(m), []);
  });

  it('infers an OCI index when no type is given', () => {
    const { mediaType: _, ...body } = ociIndex;
    assert.equal(parseManifest(json(body)).mediaType, MediaType.OciIndex);
  });

  it('parses a Docker manifest list', () => {
    const body = { ...ociIndex, mediaType: MediaType.DockerManifestList };
    const m = parseManifest(json(body), MediaType.DockerManifestList);
    assert.equal(m.kind, 'index');
    assert.equal(m.manifests.length, 2);
  });

  it('keeps artifactType and subject of an OCI index', () => {
    const subject = { mediaType: MediaType.OciManifest, size: 1, digest: d('s') };
    const m = parseManifest(json({ ...ociIndex, artifactType: 'application/vnd.example', subject }));
    assert.equal(m.artifactType, 'application/vnd.example');
    assert.deepEqual(m.subject, subject);
  });

  it('accepts an empty index', () => {
    assert.deepEqual(parseManifest(json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] })).manifests, []);
  });
});

describe('parseManifest: schema 1', () => {
  const schema1 = {
    schemaVersion: 1,
    name: 'library/hello',
    tag: 'latest',
    architecture: 'amd64',
    fsLayers: [{ blobSum: d('empty') }, { blobSum: d('top') }, { blobSum: d('empty') }, { blobSum: d('base') }],
    history: [{ v1Compatibility: '{}' }, { v1Compatibility: '{}' }, { v1Compatibility: '{}' }, { v1Compatibility: '{}' }],
    signatures: [{ header: {}, signature: 'x', protected: 'y' }],
  };

  it('lists fsLayers base first, each once, without checking signatures', () => {
    const m = parseManifest(json(schema1), MediaType.DockerSchema1SignedManifest);
    assert.equal(m.kind, 'manifest');
    assert.equal(m.schemaVersion, 1);
    assert.equal(m.mediaType, MediaType.DockerSchema1SignedManifest);
    assert.deepEqual(
      m.layers.map((l) => l.digest),
      [d('base'), d('empty'), d('top')],
    );
    assert.equal(m.layers[0]?.size, undefined);
    assert.deepEqual(referencedBlobs(m), [d('base'), d('empty'), d('top')]);
  });

  it('infers signed or unsigned from the body when undeclared', () => {
    assert.equal(parseManifest(json(schema1)).mediaType, MediaType.DockerSchema1SignedManifest);
    const { signatures: _, ...unsigned } = schema1;
    assert.equal(parseManifest(json(unsigned)).mediaType, MediaType.DockerSchema1Manifest);
    assert.equal(parseManifest(json(unsigned), MediaType.DockerSchema1Manifest).mediaType, MediaType.DockerSchema1Manifest);
  });

  it('rejects bad schema 1 manifests', () => {
    expectInvalid('schema', { ...schema1, fsLayers: [] }, undefined, /fsLayers/);
    expectInvalid('schema', { ...schema1, fsLayers: [{ blobSum: 'nope' }], history: [{}] }, undefined, /blobSum/);
    expectInvalid('schema', { ...schema1, history: [] }, undefined, /history/);
    expectInvalid('media-type-mismatch', schema1, MediaType.DockerManifest);
  });
});

describe('parseManifest: invalid', () => {
  it('rejects bodies that are not JSON objects', () => {
    expectInvalid('json', Buffer.from('not json'));
    expectInvalid('json', Buffer.from('[]'));
    expectInvalid('json', Buffer.from('null'));
    expectInvalid('json', Buffer.from([0x7b, 0xff, 0x7d]), undefined, /UTF-8/);
  });

  it('rejects unsupported declared or embedded media types', () => {
    expectInvalid('unsupported-media-type', ociManifest, 'text/plain');
    expectInvalid('unsupported-media-type', { ...ociManifest, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' });
  });

  it('rejects a body mediaType that differs from the declared type', () => {
    expectInvalid('media-type-mismatch', ociManifest, MediaType.DockerManifest);
    expectInvalid('media-type-mismatch', ociManifest, MediaType.OciIndex);
    expectInvalid('media-type-mismatch', ociIndex, MediaType.OciManifest);
  });

  it('rejects a declared type the body does not have the shape of', () => {
    const { mediaType: _, ...index } = ociIndex;
    expectInvalid('schema', index, MediaType.OciManifest, /manifests field/);
    const { mediaType: __, ...manifest } = ociManifest;
    expectInvalid('schema', manifest, MediaType.OciIndex, /config or layers/);
  });

  it('rejects ambiguous or shapeless bodies', () => {
    expectInvalid('schema', { schemaVersion: 2, manifests: [], layers: [] }, undefined, /both/);
    expectInvalid('schema', { schemaVersion: 2 }, undefined, /cannot tell/);
    expectInvalid('schema', { ...ociManifest, manifests: [] }, undefined, /manifests field/);
    expectInvalid('schema', { ...ociIndex, layers: [] }, undefined, /config or layers/);
  });

  it('rejects a wrong schemaVersion', () => {
    expectInvalid('schema', { ...ociManifest, schemaVersion: 3 }, undefined, /schemaVersion/);
    expectInvalid('schema', { ...ociManifest, schemaVersion: '2' }, undefined, /schemaVersion/);
    const { schemaVersion: _, ...noVersion } = ociManifest;
    expectInvalid('schema', noVersion, undefined, /schemaVersion is required/);
  });

  it('requires mediaType in Docker schema 2 bodies', () => {
    const { mediaType: _, ...body } = dockerManifest;
    expectInvalid('schema', body, MediaType.DockerManifest, /mediaType is required/);
    const { mediaType: __, ...list } = ociIndex;
    expectInvalid('schema', list, MediaType.DockerManifestList, /mediaType is required/);
  });

  it('takes a declared Docker type for a body without mediaType when the declaration suffices (PutImage)', () => {
    // given
    const { mediaType: _, ...body } = dockerManifest;
    const { mediaType: __, ...list } = ociIndex;
    // when
    const manifest = parseManifest(json(body), MediaType.DockerManifest, { declaredTypeSuffices: true });
    const index = parseManifest(json(list), MediaType.DockerManifestList, { declaredTypeSuffices: true });
    // then
    assert.equal(manifest.mediaType, MediaType.DockerManifest);
    assert.equal(index.mediaType, MediaType.DockerManifestList);
  });

  it('rejects a schema 1 type with schemaVersion 2', () => {
    const { mediaType: _, ...body } = ociManifest;
    expectInvalid('media-type-mismatch', body, MediaType.DockerSchema1SignedManifest);
  });

  it('rejects a non-string mediaType', () => {
    expectInvalid('schema', { ...ociManifest, mediaType: 5 }, undefined, /mediaType must be a string/);
  });

  it('requires config and layers', () => {
    const { config: _, ...noConfig } = ociManifest;
    expectInvalid('schema', noConfig, MediaType.OciManifest, /config is required/);
    const { layers: __, ...noLayers } = ociManifest;
    expectInvalid('schema', noLayers, MediaType.OciManifest, /layers must be an array/);
    expectInvalid('schema', { ...ociIndex, manifests: {} }, undefined, /manifests must be an array/);
  });

  const layer = ociManifest.layers[0];
  const withLayer = (l: unknown): unknown => ({ ...ociManifest, layers: [l] });
  for (const [name, bad, reason] of [
    ['a non-object descriptor', 'x', /layers\[0\] must be a descriptor/],
    ['a missing mediaType', { ...layer, mediaType: undefined }, /layers\[0\]\.mediaType is required/],
    ['an empty mediaType', { ...layer, mediaType: '' }, /mediaType is required/],
    ['a malformed mediaType', { ...layer, mediaType: 'tar' }, /is not a media type/],
    ['a missing digest', { ...layer, digest: undefined }, /layers\[0\]\.digest is required/],
    ['a malformed digest', { ...layer, digest: 'sha256:xyz' }, /layers\[0\]\.digest/],
    ['a sha512 digest', { ...layer, digest: 'sha512:' + 'a'.repeat(128) }, /unsupported digest algorithm/],
    ['a missing size', { ...layer, size: undefined }, /size must be a non-negative integer/],
    ['a negative size', { ...layer, size: -1 }, /size/],
    ['a fractional size', { ...layer, size: 1.5 }, /size/],
    ['a string size', { ...layer, size: '10' }, /size/],
    ['an unsafe size', { ...layer, size: 2 ** 60 }, /size/],
    ['non-string urls', { ...layer, urls: [1] }, /urls/],
    ['non-string annotations', { ...layer, annotations: { a: 1 } }, /annotations\["a"\]/],
    ['array annotations', { ...layer, annotations: ['a'] }, /annotations/],
    ['a bad artifactType', { ...layer, artifactType: 'x' }, /artifactType/],
    ['data that is not base64', { ...emptyDescriptor, data: '!!' }, /base64/],
    ['data of the wrong size', { ...emptyDescriptor, size: 3 }, /bytes but size is 3/],
    ['data of the wrong digest', { ...emptyDescriptor, digest: d('other') }, /does not match digest/],
  ] as const) {
    it(`rejects ${name}`, () => expectInvalid('schema', withLayer(bad), undefined, reason));
  }

  it('rejects bad manifest-level fields', () => {
    expectInvalid('schema', { ...ociManifest, annotations: 'x' }, undefined, /^annotations/);
    expectInvalid('schema', { ...ociManifest, artifactType: 7 }, undefined, /artifactType must be a string/);
    expectInvalid('schema', { ...ociManifest, subject: { mediaType: MediaType.OciManifest, size: 1 } }, undefined, /subject\.digest/);
  });

  it('rejects bad platforms in an index', () => {
    const withPlatform = (platform: unknown): unknown => ({ ...ociIndex, manifests: [{ ...ociIndex.manifests[0], platform }] });
    expectInvalid('schema', withPlatform('linux'), undefined, /platform must be an object/);
    expectInvalid('schema', withPlatform({ os: 'linux' }), undefined, /architecture is required/);
    expectInvalid('schema', withPlatform({ architecture: 'amd64' }), undefined, /os is required/);
    expectInvalid('schema', withPlatform({ architecture: 'amd64', os: 'linux', features: 'x' }), undefined, /features/);
  });
});
