import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  isImageManifestMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isMediaTypeSyntax,
  MediaType,
  normalizeMediaType,
} from './media-types.js';

describe('media types', () => {
  it('classifies manifest types', () => {
    assert.equal(isIndexMediaType(MediaType.OciIndex), true);
    assert.equal(isIndexMediaType(MediaType.DockerManifestList), true);
    assert.equal(isIndexMediaType(MediaType.OciManifest), false);
    for (const t of [MediaType.OciManifest, MediaType.DockerManifest, MediaType.DockerSchema1Manifest, MediaType.DockerSchema1SignedManifest]) {
      assert.equal(isImageManifestMediaType(t), true, t);
      assert.equal(isManifestMediaType(t), true, t);
    }
    assert.equal(isManifestMediaType(MediaType.OciIndex), true);
    assert.equal(isManifestMediaType(MediaType.OciConfig), false);
    assert.equal(isManifestMediaType(MediaType.OciEmpty), false);
    assert.equal(isManifestMediaType('application/json'), false);
  });

  it('normalizes Content-Type values', () => {
    assert.equal(normalizeMediaType(undefined), undefined);
    assert.equal(normalizeMediaType('  '), undefined);
    assert.equal(normalizeMediaType('Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8'), MediaType.OciManifest);
  });

  it('checks RFC 6838 syntax', () => {
    assert.equal(isMediaTypeSyntax(MediaType.OciLayerZstd), true);
    assert.equal(isMediaTypeSyntax('application/vnd.cncf.helm.chart.content.v1.tar+gzip'), true);
    assert.equal(isMediaTypeSyntax('text/plain; charset=utf-8'), true);
    assert.equal(isMediaTypeSyntax('application'), false);
    assert.equal(isMediaTypeSyntax('application/'), false);
    assert.equal(isMediaTypeSyntax('/json'), false);
    assert.equal(isMediaTypeSyntax('a/b/c'), false);
    assert.equal(isMediaTypeSyntax('app lication/json'), false);
  });
});
