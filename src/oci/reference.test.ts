import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidReferenceError, isRepositoryName, isTag, parseReference } from './reference.js';

describe('isRepositoryName', () => {
  for (const name of ['a', 'ubuntu', 'library/ubuntu', 'a/b/c', 'my-app', 'my--app', 'my_app', 'my__app', 'my.app', 'a1/b2.c3-d4_e5', 'x'.repeat(300)]) {
    it(`accepts ${name.slice(0, 40)}`, () => assert.equal(isRepositoryName(name), true));
  }
  for (const name of ['', 'Ubuntu', '-app', 'app-', 'a//b', '/a', 'a/', 'my___app', 'my..app', 'my._app', 'a b', 'a:b', 'a@b', 'ümlaut']) {
    it(`rejects ${JSON.stringify(name)}`, () => assert.equal(isRepositoryName(name), false));
  }
  it('is fast on a pathological input', () => {
    const started = performance.now();
    assert.equal(isRepositoryName('a-'.repeat(2000) + '!'), false);
    assert.ok(performance.now() - started < 100);
  });
});

describe('isTag', () => {
  it('follows the distribution grammar', () => {
    assert.equal(isTag('latest'), true);
    assert.equal(isTag('_x'), true);
    assert.equal(isTag('v1.2.3-rc_1'), true);
    assert.equal(isTag('A'.repeat(128)), true);
    assert.equal(isTag('A'.repeat(129)), false);
    assert.equal(isTag(''), false);
    assert.equal(isTag('.hidden'), false);
    assert.equal(isTag('-x'), false);
    assert.equal(isTag('a/b'), false);
    assert.equal(isTag('a+b'), false);
  });
});

describe('parseReference', () => {
  const digest = 'sha256:' + 'ab'.repeat(32);

  it('parses tags and digests', () => {
    assert.deepEqual(parseReference('latest'), { kind: 'tag', tag: 'latest' });
    assert.deepEqual(parseReference(digest), { kind: 'digest', digest });
  });

  it('rejects bad tags', () => {
    assert.throws(() => parseReference('bad/tag'), (e: unknown) => e instanceof InvalidReferenceError && e.kind === 'tag');
  });

  it('rejects bad digests, flagging unsupported algorithms', () => {
    assert.throws(
      () => parseReference('sha256:abc'),
      (e: unknown) => e instanceof InvalidReferenceError && e.kind === 'digest' && !e.unsupported,
    );
    assert.throws(
      () => parseReference('sha512:' + 'a'.repeat(128)),
      (e: unknown) => e instanceof InvalidReferenceError && e.kind === 'digest' && e.unsupported,
    );
  });
});
