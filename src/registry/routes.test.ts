import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContentRange, parseRangeHeader } from './http.js';
import { matchRoute } from './routes.js';

describe('matchRoute', () => {
  const id = (method: string, path: string) => {
    const m = matchRoute(method, path);
    return m.kind === 'route' ? [m.route.id, m.name, m.ref, m.uuid] : m.kind;
  };

  it('finds each route, with names that contain slashes and route words', () => {
    assert.deepEqual(id('GET', '/v2/'), ['base', '', '', '']);
    assert.deepEqual(id('GET', '/v2/_catalog'), ['catalog', '', '', '']);
    assert.deepEqual(id('GET', '/v2/a/b/tags/list'), ['tags.list', 'a/b', '', '']);
    assert.deepEqual(id('HEAD', '/v2/team/manifests/app/manifests/v1'), ['manifest.get', 'team/manifests/app', 'v1', '']);
    assert.deepEqual(id('PUT', '/v2/app/manifests/sha256%3Aabc'), ['manifest.put', 'app', 'sha256:abc', '']);
    assert.deepEqual(id('POST', '/v2/app/blobs/uploads/'), ['upload.start', 'app', '', '']);
    assert.deepEqual(id('PATCH', '/v2/app/blobs/uploads/u-1'), ['upload.patch', 'app', '', 'u-1']);
    assert.deepEqual(id('PUT', '/v2/app/blobs/uploads/u-1'), ['upload.complete', 'app', '', 'u-1']);
    assert.deepEqual(id('GET', '/v2/app/blobs/sha256:abc'), ['blob.get', 'app', 'sha256:abc', '']);
    assert.deepEqual(id('GET', '/v2/app/referrers/sha256:abc'), ['referrers.list', 'app', 'sha256:abc', '']);
  });

  it('tells a wrong method from an unknown path', () => {
    assert.equal(id('PATCH', '/v2/app/manifests/v1'), 'method-not-allowed');
    assert.equal(id('GET', '/v2/app/other'), 'not-found');
    assert.equal(id('GET', '/v1/app/manifests/v1'), 'not-found');
  });
});

describe('Range and Content-Range', () => {
  it('selects one byte range of a blob, or none', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRangeHeader('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-1000', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=50-1000', 100), { start: 50, end: 99 });
    assert.equal(parseRangeHeader('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=9-5', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRangeHeader('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRangeHeader(undefined, 100), undefined);
    assert.equal(parseRangeHeader('bytes=0-1,5-6', 100), undefined);
    assert.equal(parseRangeHeader('items=0-1', 100), undefined);
  });

  it('reads an upload chunk Content-Range in the spec form and the RFC form', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
    assert.deepEqual(parseContentRange('bytes=100-199'), { start: 100, end: 199 });
    assert.equal(parseContentRange(undefined), undefined);
    assert.throws(() => parseContentRange('99-0'));
    assert.throws(() => parseContentRange('abc'));
  });
});
