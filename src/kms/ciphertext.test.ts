import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalContext, open, readHeader, seal } from './ciphertext.js';

describe('ciphertext blobs', () => {
  const key = randomBytes(32);
  const iv = randomBytes(12);

  it('round-trip and name their key and material version', () => {
    // given
    const id = '1234abcd-12ab-34cd-56ef-1234567890ab';
    // when
    const blob = seal(id, { index: 3, key }, iv, Buffer.from('data'), { a: '1' });
    // then
    assert.deepEqual(readHeader(blob), { keyId: id, material: 3 });
    assert.equal(open(blob, key, { a: '1' })?.toString(), 'data');
  });

  it('multi-Region key ids survive the header', () => {
    const id = `mrk-${'ab'.repeat(16)}`;
    assert.equal(readHeader(seal(id, { index: 0, key }, iv, Buffer.from('x'), undefined))?.keyId, id);
  });

  it('bind the encryption context: another, missing or extra pair fails', () => {
    const blob = seal('1234abcd-12ab-34cd-56ef-1234567890ab', { index: 0, key }, iv, Buffer.from('x'), { a: '1', b: '2' });
    assert.equal(open(blob, key, { b: '2', a: '1' })?.toString(), 'x');
    assert.equal(open(blob, key, { a: '1' }), undefined);
    assert.equal(open(blob, key, { a: '1', b: '3' }), undefined);
    assert.equal(open(blob, key, { a: '1', b: '2', c: '3' }), undefined);
    assert.equal(open(blob, key, undefined), undefined);
  });

  it('a changed header (key or material) or body fails authentication', () => {
    const blob = seal('1234abcd-12ab-34cd-56ef-1234567890ab', { index: 0, key }, iv, Buffer.from('x'), undefined);
    for (const at of [5, 20, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[at] = bad[at]! ^ 0x01;
      assert.equal(open(bad, key, undefined), undefined, `byte ${at}`);
    }
    assert.equal(open(blob, randomBytes(32), undefined), undefined);
  });

  it('foreign bytes have no header', () => {
    assert.equal(readHeader(Buffer.from('short')), undefined);
    assert.equal(readHeader(Buffer.alloc(80, 7)), undefined);
  });

  it('the canonical context does not depend on key order and cannot be confused by separators', () => {
    assert.deepEqual(canonicalContext({ b: '2', a: '1' }), canonicalContext({ a: '1', b: '2' }));
    assert.notDeepEqual(canonicalContext({ a: '1,b' }), canonicalContext({ a: '1', b: '' }));
  });
});
