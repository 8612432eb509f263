import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import { createDigester, digestHex, InvalidDigestError, isDigest, parseDigest, sha256Digest } from './digest.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('parseDigest', () => {
  it('accepts a sha256 digest', () => {
    assert.equal(parseDigest(EMPTY), EMPTY);
  });

  for (const [input, why] of [
    ['', 'empty'],
    ['sha256', 'no colon'],
    ['sha256:', 'no encoded part'],
    [':abc', 'no algorithm'],
    ['SHA256:' + 'a'.repeat(64), 'uppercase algorithm'],
    ['sha256:' + 'A'.repeat(64), 'uppercase hex'],
    ['sha256:' + 'a'.repeat(63), 'short hex'],
    ['sha256:' + 'a'.repeat(65), 'long hex'],
    ['sha256:' + 'g'.repeat(64), 'not hex'],
    ['sha256:' + 'a'.repeat(64) + '\n', 'trailing newline'],
    ['sha256 :' + 'a'.repeat(64), 'space'],
    ['sha512:' + 'a'.repeat(64), 'sha512 of the wrong length'],
  ]) {
    it(`rejects ${why} as invalid`, () => {
      assert.throws(() => parseDigest(input as string), (e: unknown) => e instanceof InvalidDigestError && e.kind === 'invalid');
    });
  }

  for (const input of ['sha512:' + 'a'.repeat(128), 'blake3:' + 'a'.repeat(64), 'multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8']) {
    it(`rejects well-formed ${input.slice(0, input.indexOf(':'))} as unsupported`, () => {
      assert.throws(() => parseDigest(input), (e: unknown) => e instanceof InvalidDigestError && e.kind === 'unsupported');
    });
  }

  it('refuses huge inputs without running the grammar', () => {
    assert.throws(() => parseDigest('a'.repeat(100_000) + ':b'), InvalidDigestError);
  });
});

describe('isDigest', () => {
  it('is true only for valid sha256 digests', () => {
    assert.equal(isDigest(EMPTY), true);
    assert.equal(isDigest(EMPTY.toUpperCase()), false);
    assert.equal(isDigest('sha512:' + 'a'.repeat(128)), false);
    assert.equal(isDigest(42), false);
    assert.equal(isDigest(undefined), false);
  });
});

describe('sha256Digest / digestHex', () => {
  it('hashes bytes and strings', () => {
    assert.equal(sha256Digest(Buffer.alloc(0)), EMPTY);
    assert.equal(sha256Digest('{}'), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    assert.equal(digestHex(parseDigest(EMPTY)), EMPTY.slice(7));
  });
});

describe('createDigester', () => {
  it('matches a one-shot hash, can be asked repeatedly and counts bytes', () => {
    const d = createDigester();
    assert.equal(d.digest(), EMPTY);
    d.update(Buffer.from('hello ')).update('world');
    const expected = `sha256:${createHash('sha256').update('hello world').digest('hex')}`;
    assert.equal(d.digest(), expected);
    assert.equal(d.digest(), expected);
    assert.equal(d.size, 11);
  });

  it('copies are independent checkpoints', () => {
    const d = createDigester().update('abc');
    const checkpoint = d.copy();
    d.update('def');
    assert.equal(checkpoint.digest(), sha256Digest('abc'));
    assert.equal(checkpoint.size, 3);
    assert.equal(d.digest(), sha256Digest('abcdef'));
    assert.equal(d.size, 6);
  });

  it('counts multi-byte strings in bytes', () => {
    assert.equal(createDigester().update('é').size, 2);
  });
});
