import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { sha256Digest } from './digest.js';
import { EMPTY_JSON_DIGEST, rfc3339, signNotary, THUMBPRINT_ANNOTATION } from './notary-signature.js';

describe('signNotary', () => {
  it('makes a JWS envelope over the target descriptor and a signature manifest whose subject is the target', () => {
    // given
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const chain = [Buffer.from('leaf-der'), Buffer.from('root-der')];
    const target = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256Digest('x'), size: 1 };
    // when
    const s = signNotary({
      target,
      chain,
      sign: (data) => sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      signingTime: new Date('2026-03-04T05:06:07.890Z'),
      signingAgent: 'test/1',
    });
    // then
    const env = JSON.parse(s.envelope.toString()) as { payload: string; protected: string; header: Record<string, unknown>; signature: string };
    assert.deepEqual(Object.keys(env).sort(), ['header', 'payload', 'protected', 'signature']);
    assert.deepEqual(JSON.parse(Buffer.from(env.payload, 'base64url').toString()), { targetArtifact: target });
    assert.deepEqual(JSON.parse(Buffer.from(env.protected, 'base64url').toString()), {
      alg: 'ES384',
      crit: ['io.cncf.notary.signingScheme'],
      cty: 'application/vnd.cncf.notary.payload.v1+json',
      'io.cncf.notary.signingScheme': 'notary.x509',
      'io.cncf.notary.signingTime': '2026-03-04T05:06:07Z',
    });
    assert.deepEqual(env.header, { x5c: ['bGVhZi1kZXI=', 'cm9vdC1kZXI='], 'io.cncf.notary.signingAgent': 'test/1' });
    const raw = Buffer.from(env.signature, 'base64url');
    assert.equal(raw.length, 96, 'r||s, 48 bytes each');
    assert.ok(verify('sha384', Buffer.from(`${env.protected}.${env.payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw));
    const manifest = JSON.parse(s.manifest.toString()) as Record<string, unknown>;
    assert.equal(s.manifestDigest, sha256Digest(s.manifest));
    assert.deepEqual(manifest.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_JSON_DIGEST, size: 2 });
    assert.deepEqual(manifest.layers, [{ mediaType: 'application/jose+json', digest: s.envelopeDigest, size: s.envelope.length }]);
    assert.deepEqual(manifest.subject, target);
    const thumbprints = chain.map((c) => createHash('sha256').update(c).digest('hex'));
    assert.deepEqual(manifest.annotations, { [THUMBPRINT_ANNOTATION]: JSON.stringify(thumbprints), 'org.opencontainers.image.created': '2026-03-04T05:06:07Z' });
  });

  it('marks an expiry critical', () => {
    // when
    const s = signNotary({
      target: { mediaType: 'm', digest: sha256Digest('y'), size: 1 },
      chain: [Buffer.from('c')],
      sign: () => Buffer.alloc(96),
      signingTime: new Date('2026-01-01T00:00:00Z'),
      expiry: new Date('2037-04-01T00:00:00Z'),
      signingAgent: 'a',
    });
    // then
    const env = JSON.parse(s.envelope.toString()) as { protected: string };
    const header = JSON.parse(Buffer.from(env.protected, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(header.crit, ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']);
    assert.equal(header['io.cncf.notary.expiry'], rfc3339(new Date('2037-04-01T00:00:00Z')));
  });
});
