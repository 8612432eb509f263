import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Digest } from '../oci/digest.js';
import { LayerUrls } from './layer-urls.js';

const claims = {
  accountId: '123456789012',
  region: 'eu-west-1',
  name: 'team/app',
  digest: sha256Digest('layer'),
  expiresAt: new Date('2026-01-01T01:00:00Z'),
};
const before = new Date('2026-01-01T00:59:59Z');

function split(pathAndQuery: string): [string, URLSearchParams] {
  const url = new URL(pathAndQuery, 'http://x');
  return [url.pathname, url.searchParams];
}

describe('LayerUrls', () => {
  const urls = new LayerUrls(Buffer.alloc(32, 7));

  it('verifies what it signed, until it expires', () => {
    const [path, query] = split(urls.pathFor(claims));
    assert.equal(path, `/ecr-layers/123456789012/eu-west-1/team/app/${claims.digest}`);
    assert.deepEqual(urls.verify(path, query, before), { ok: true, claims });
    assert.deepEqual(urls.verify(path, query, claims.expiresAt), { ok: false, reason: 'expired' });
  });

  it('refuses another path, another expiry, another key and a malformed URL', () => {
    const [path, query] = split(urls.pathFor(claims));
    assert.deepEqual(urls.verify(path.replace('team/app', 'team/other'), query, before), { ok: false, reason: 'signature' });
    const later = new URLSearchParams(query);
    later.set('X-Simfra-Expires', String(Number(query.get('X-Simfra-Expires')) + 3600));
    assert.deepEqual(urls.verify(path, later, before), { ok: false, reason: 'signature' });
    assert.deepEqual(new LayerUrls(Buffer.alloc(32, 8)).verify(path, query, before), { ok: false, reason: 'signature' });
    const unsigned = new URLSearchParams(query);
    unsigned.delete('X-Simfra-Signature');
    assert.deepEqual(urls.verify(path, unsigned, before), { ok: false, reason: 'malformed' });
    assert.deepEqual(urls.verify('/ecr-layers/1/r/n/sha256:00', query, before), { ok: false, reason: 'malformed' });
  });
});
