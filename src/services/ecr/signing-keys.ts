/**
 * The keys simfra signs with, standing in for AWS Signer's (simfra has no Signer API):
 *
 * - per account, one root CA: ECDSA P-384, self-signed, basicConstraints cA (critical),
 *   keyUsage keyCertSign + cRLSign (critical) — what a Notation trust store holds;
 * - per signing profile ARN, one leaf issued by that root: ECDSA P-384, keyUsage digitalSignature
 *   only (critical), extendedKeyUsage id-kp-codeSigning, basicConstraints cA false — the Notary
 *   Project's codesigning certificate requirements (signature-specification.md, "Certificate
 *   Requirements").
 *
 * Both are made on first use and kept in the metadata store with the private key sealed under the
 * master key (the Sealer that seals KMS key material), so they survive a restart with the data dir.
 */
import { createHash, createPrivateKey, KeyObject, sign, webcrypto, X509Certificate } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Ids } from '../../ids.js';
import type { MetaStore, SigningKeyRecord } from '../../store/meta/meta-store.js';

const ROOT = 'root';
const EC = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-384' } as const;
/** The certificates' lifetime: 20 years (a local emulator's CA should not expire under its users). */
const VALIDITY_MS = 20 * 365 * 24 * 3600_000;
/** Backdated a little, so a verifier whose clock trails simfra's still finds them valid. */
const BACKDATE_MS = 5 * 60_000;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

// @peculiar/x509 takes the WebCrypto provider per call (no global provider is set).
const crypto = webcrypto as unknown as Crypto;

type X509 = typeof import('@peculiar/x509');
let x509Module: Promise<X509> | undefined;
/**
 * @peculiar/x509, with the reflect-metadata its tsyringe needs, loaded when a certificate is first
 * made: its ASN.1 schemas are built when the module loads, heap that a registry that never signs
 * would carry for nothing.
 */
const loadX509 = (): Promise<X509> => (x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509')));

export interface ProfileKey {
  /** Signs with the profile's leaf key: ECDSA P-384 over SHA-384, raw r||s as JWS wants it. */
  sign(data: Buffer): Buffer;
  /** DER certificates: leaf, root. */
  chain: Buffer[];
  leafPem: string;
  rootPem: string;
}

export interface SigningKeysDeps {
  meta: Pick<MetaStore, 'signing'>;
  clock: Clock;
  ids: Ids;
}

/** The profile name of `arn:aws:signer:<region>:<account>:/signing-profiles/<name>`. */
export const profileNameOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

export class SigningKeys {
  constructor(private readonly deps: SigningKeysDeps) {}

  /** The account's root CA (made on first use). */
  async root(accountId: string): Promise<SigningKeyRecord> {
    const found = await this.deps.meta.signing.getKey(accountId, ROOT);
    if (found !== undefined) return found;
    const x509 = await loadX509();
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = this.deps.clock.now();
    const name = `C=US, ST=WA, L=Seattle, O=simfra, OU=${accountId}, CN=simfra signing root CA ${accountId}`;
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: this.serial(),
        name,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter: new Date(now.getTime() + VALIDITY_MS),
        signingAlgorithm: SIGNING_ALGORITHM,
        keys,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return this.deps.meta.signing.addKey({
      accountId,
      name: ROOT,
      certificatePem: cert.toString('pem'),
      privateKeyPem: await pemOf(keys.privateKey),
      createdAt: now,
    });
  }

  /** The leaf of a signing profile (made on first use, issued by its account's root). */
  async profile(accountId: string, profileArn: string): Promise<ProfileKey> {
    const root = await this.root(accountId);
    const leaf = (await this.deps.meta.signing.getKey(accountId, profileArn)) ?? (await this.issue(accountId, profileArn, root));
    const leafKey = createPrivateKey(leaf.privateKeyPem);
    return {
      sign: (data) => sign('sha384', data, { key: leafKey, dsaEncoding: 'ieee-p1363' }),
      chain: [derOf(leaf.certificatePem), derOf(root.certificatePem)],
      leafPem: leaf.certificatePem,
      rootPem: root.certificatePem,
    };
  }

  /** The SHA-256 thumbprint (lowercase hex) of the profile's certificate, if it has one yet. */
  async leafThumbprint(accountId: string, profileArn: string): Promise<string | undefined> {
    const leaf = await this.deps.meta.signing.getKey(accountId, profileArn);
    return leaf === undefined ? undefined : createHash('sha256').update(derOf(leaf.certificatePem)).digest('hex');
  }

  /** Every profile certificate made so far for the account (leaf PEMs by profile ARN). */
  async profiles(accountId: string): Promise<{ signingProfileArn: string; certificatePem: string }[]> {
    return (await this.deps.meta.signing.keysOf(accountId))
      .filter((k) => k.name !== ROOT)
      .map((k) => ({ signingProfileArn: k.name, certificatePem: k.certificatePem }));
  }

  private async issue(accountId: string, profileArn: string, root: SigningKeyRecord): Promise<SigningKeyRecord> {
    const x509 = await loadX509();
    const rootCert = new x509.X509Certificate(root.certificatePem);
    const rootKey = await webcrypto.subtle.importKey('pkcs8', derOfKey(root.privateKeyPem), EC, false, ['sign']);
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = this.deps.clock.now();
    const notAfter = new Date(Math.min(now.getTime() + VALIDITY_MS, rootCert.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: this.serial(),
        subject: `C=US, ST=WA, L=Seattle, O=simfra Signer, OU=${accountId}, CN=${profileNameOf(profileArn)}`,
        // The root's subject as encoded (verifiers such as notation compare the raw bytes).
        issuer: rootCert.subjectName,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter,
        signingAlgorithm: SIGNING_ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: rootKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([CODE_SIGNING], false),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
          await x509.AuthorityKeyIdentifierExtension.create(await rootCert.publicKey.export(EC, ['verify'], crypto), false, crypto),
        ],
      },
      crypto,
    );
    return this.deps.meta.signing.addKey({
      accountId,
      name: profileArn,
      certificatePem: cert.toString('pem'),
      privateKeyPem: await pemOf(keys.privateKey),
      createdAt: now,
    });
  }

  /** A positive 128-bit serial number (RFC 5280 allows up to 20 octets). */
  private serial(): string {
    const bytes = this.deps.ids.bytes(16);
    bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
    return bytes.toString('hex');
  }
}

async function pemOf(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

const derOf = (pem: string): Buffer => new X509Certificate(pem).raw;
const derOfKey = (pem: string): Buffer => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
