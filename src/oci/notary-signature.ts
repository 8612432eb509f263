/**
 * Notary Project signatures of OCI artifacts in the JWS envelope (pure: the caller brings the key
 * as a `sign` function) — source: notaryproject/specifications, specs/signature-specification.md
 * and specs/signature-envelope-jws.md.
 *
 * The envelope is the flattened JWS JSON serialization: `payload` (the targetArtifact descriptor),
 * `protected` (alg, cty, crit, signing scheme, signing time, expiry), `header` (x5c chain, signing
 * agent) and `signature` over `BASE64URL(protected) '.' BASE64URL(payload)`. The signature manifest
 * is an OCI image manifest with artifactType `application/vnd.cncf.notary.signature`, the empty
 * config, the envelope as its one layer and the signed manifest as its `subject`.
 */
import { createHash } from 'node:crypto';
import { sha256Digest, type Digest } from './digest.js';
import { MediaType } from './media-types.js';

export const NotaryMediaType = {
  Signature: 'application/vnd.cncf.notary.signature',
  Payload: 'application/vnd.cncf.notary.payload.v1+json',
  JwsEnvelope: 'application/jose+json',
} as const;

/** The annotation listing the SHA-256 thumbprints of the chain (leaf first, lowercase hex as notation writes them). */
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';

/** The `{}` blob and its digest. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = sha256Digest(EMPTY_JSON);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface NotarySignInput {
  /** The manifest signed: its media type, digest and size. */
  target: Descriptor;
  /** DER certificates, signing (leaf) certificate first, root last. */
  chain: readonly Buffer[];
  /** Signs the JWS signing input with the leaf's key: ECDSA P-384 / SHA-384, raw r||s (IEEE P1363). */
  sign: (signingInput: Buffer) => Buffer;
  signingTime: Date;
  expiry?: Date;
  signingAgent: string;
}

export interface NotarySignature {
  /** The JWS envelope (the signature manifest's one layer). */
  envelope: Buffer;
  envelopeDigest: Digest;
  /** The signature manifest bytes and digest. */
  manifest: Buffer;
  manifestDigest: Digest;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** RFC 3339 without fractional seconds (the spec: time-secfrac SHOULD NOT be used). */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function signNotary(input: NotarySignInput): NotarySignature {
  const payload = JSON.stringify({
    targetArtifact: { mediaType: input.target.mediaType, digest: input.target.digest, size: input.target.size },
  });
  const crit = ['io.cncf.notary.signingScheme', ...(input.expiry !== undefined ? ['io.cncf.notary.expiry'] : [])];
  const protectedHeader = JSON.stringify({
    alg: 'ES384',
    crit,
    cty: NotaryMediaType.Payload,
    ...(input.expiry !== undefined ? { 'io.cncf.notary.expiry': rfc3339(input.expiry) } : {}),
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': rfc3339(input.signingTime),
  });
  const encodedProtected = b64url(protectedHeader);
  const encodedPayload = b64url(payload);
  const signature = input.sign(Buffer.from(`${encodedProtected}.${encodedPayload}`, 'ascii'));
  const envelope = Buffer.from(
    JSON.stringify({
      payload: encodedPayload,
      protected: encodedProtected,
      header: {
        x5c: input.chain.map((c) => c.toString('base64')),
        'io.cncf.notary.signingAgent': input.signingAgent,
      },
      signature: b64url(signature),
    }),
  );
  const envelopeDigest = sha256Digest(envelope);
  const thumbprints = input.chain.map((c) => createHash('sha256').update(c).digest('hex'));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: NotaryMediaType.Signature,
      config: { mediaType: MediaType.OciEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.length },
      layers: [{ mediaType: NotaryMediaType.JwsEnvelope, digest: envelopeDigest, size: envelope.length }],
      subject: { mediaType: input.target.mediaType, digest: input.target.digest, size: input.target.size },
      annotations: {
        [THUMBPRINT_ANNOTATION]: JSON.stringify(thumbprints),
        'org.opencontainers.image.created': rfc3339(input.signingTime),
      },
    }),
  );
  return { envelope, envelopeDigest, manifest, manifestDigest: sha256Digest(manifest) };
}
