/**
 * Encryption at rest of ECR repositories: where a repository's blobs live and whether its KMS
 * key may be used now.
 *
 * AES256 repositories share the plain content-addressed store. A KMS (or KMS_DSSE) repository's
 * blobs live, with a SIMFRA_DATA_DIR, in a sealed store of their own per KMS key
 * (`ecr/kms/<sha256(key ARN)[:32]>/`, see store/blobs/sealed-fs.ts): still content-addressed by
 * the plaintext digest, so repositories under the same key share bytes, while a blob pushed to
 * repositories under two keys is stored once per key — ECR mounts blobs only between
 * repositories with the same encryption configuration, and so does Images.mountLayer. Each blob
 * has its own data key from KMS GenerateDataKey, stored wrapped in the blob's header.
 *
 * Every pull and push re-reads the key's state, so disabling the key (or scheduling its
 * deletion) stops them at once and enabling it restores them; unwrapped data keys are cached
 * (the state check is not). Without a data dir the blobs stay in memory, unencrypted (nothing is
 * at rest), but the key's state is enforced the same way.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AuthzSubject } from '../iam/authorize.js';
import { KmsError, parseKmsArn, type KeyRecord, type Kms } from '../kms/keys.js';
import type { BlobStore } from '../store/blobs/blob-store.js';
import { SealWorker } from '../store/blobs/seal-worker.js';
import { SealedFsBlobStore, listDirs, type BlobKeyring, type SealedFsBlobStoreOptions } from '../store/blobs/sealed-fs.js';
import { DIR_MODE, FILE_MODE } from '../store/blobs/fs.js';
import type { RepositoryRecord } from '../store/meta/meta-store.js';
import { ImageError } from './errors.js';

/** Where a repository's blobs live, and whether its key may be used now. */
export interface RepositoryEncryption {
  blobsFor(repo: RepositoryRecord): BlobStore;
  /** Every store that may hold blobs or upload sessions (for purges). */
  allStores(): Promise<BlobStore[]>;
  /** Throws ImageError 'KmsKeyUnusable' when the repository's KMS key cannot be used now. */
  checkKey(repo: RepositoryRecord): Promise<void>;
  close(): Promise<void>;
}

/** No KMS: every repository in one store (unit tests, tools). */
export function plainEncryption(blobs: BlobStore): RepositoryEncryption {
  return {
    blobsFor: () => blobs,
    allStores: async () => [blobs],
    checkKey: async () => undefined,
    close: () => blobs.close(),
  };
}

export const isKmsEncrypted = (repo: Pick<RepositoryRecord, 'encryptionType' | 'kmsKey'>): repo is RepositoryRecord & { kmsKey: string } =>
  repo.encryptionType !== 'AES256' && repo.kmsKey !== undefined;

/** A KMS failure about a repository's key, as the image domain reports it. */
export function kmsKeyUnusable(repo: Pick<RepositoryRecord, 'name' | 'accountId'>, e: KmsError): ImageError<'KmsKeyUnusable'> {
  return new ImageError('KmsKeyUnusable', { name: repo.name, registryId: repo.accountId, kmsError: e.wireName, reason: e.message });
}

/** Data keys bind this encryption context, so a wrapped key is no use to any other caller of KMS. */
const DATA_KEY_CONTEXT: Readonly<Record<string, string>> = { 'aws:ecr:purpose': 'simfra-blob-data-key' };
/** Unwrapped data keys kept in memory (32 bytes each, plus the wrapped form as the map key). */
const DATA_KEY_CACHE = 4096;

export interface KmsEncryptionOptions {
  kms: Kms;
  /** The store of AES256 repositories (and of every repository without `sealedRoot`). */
  plain: BlobStore;
  /** Root of the per-key sealed stores (`$SIMFRA_DATA_DIR/ecr/kms`); absent: blobs stay in `plain`. */
  sealedRoot?: string;
  storeOptions?: SealedFsBlobStoreOptions;
}

export class KmsRepositoryEncryption implements RepositoryEncryption {
  readonly #kms: Kms;
  readonly #plain: BlobStore;
  readonly #root: string | undefined;
  readonly #storeOptions: SealedFsBlobStoreOptions;
  readonly #stores = new Map<string, SealedFsBlobStore>();
  readonly #dataKeys = new Map<string, Buffer>();
  /** One thread sealing the uploads of every key's store (see seal-worker.ts). */
  readonly #worker: SealWorker | undefined;

  constructor(opts: KmsEncryptionOptions) {
    this.#kms = opts.kms;
    this.#plain = opts.plain;
    this.#root = opts.sealedRoot;
    this.#worker = opts.sealedRoot !== undefined ? new SealWorker() : undefined;
    this.#storeOptions = { ...opts.storeOptions, ...(this.#worker !== undefined ? { worker: this.#worker } : {}) };
  }

  blobsFor(repo: RepositoryRecord): BlobStore {
    if (!isKmsEncrypted(repo) || this.#root === undefined) return this.#plain;
    return this.#storeFor(repo.kmsKey);
  }

  async allStores(): Promise<BlobStore[]> {
    if (this.#root !== undefined) {
      for (const dir of await listDirs(this.#root)) {
        let arn: string;
        try {
          arn = readFileSync(join(this.#root, dir, 'key-arn'), 'utf8').trim();
        } catch {
          continue;
        }
        if (namespaceOf(arn) === dir) this.#storeFor(arn);
      }
    }
    return [this.#plain, ...this.#stores.values()];
  }

  async checkKey(repo: RepositoryRecord): Promise<void> {
    if (!isKmsEncrypted(repo)) return;
    try {
      this.#kms.checkUsable(await this.#key(repo.kmsKey));
    } catch (e) {
      if (e instanceof KmsError) throw kmsKeyUnusable(repo, e);
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#plain.close(), ...[...this.#stores.values()].map((s) => s.close())]);
    await this.#worker?.close();
    this.#dataKeys.clear();
  }

  async #key(arn: string): Promise<KeyRecord> {
    const parsed = parseKmsArn(arn);
    if (parsed === undefined) throw new KmsError('NotFound', `Invalid arn ${arn}`);
    return this.#kms.resolveKey(parsed.accountId, parsed.region, arn);
  }

  #storeFor(keyArn: string): SealedFsBlobStore {
    let store = this.#stores.get(keyArn);
    if (store === undefined) {
      const dir = join(this.#root!, namespaceOf(keyArn));
      mkdirSync(dir, { recursive: true, mode: DIR_MODE });
      // Which key a namespace belongs to, for purges after a restart (the name is a hash).
      writeFileSync(join(dir, 'key-arn'), `${keyArn}\n`, { mode: FILE_MODE });
      store = new SealedFsBlobStore(dir, this.#keyring(keyArn), this.#storeOptions);
      this.#stores.set(keyArn, store);
    }
    return store;
  }

  #keyring(keyArn: string): BlobKeyring {
    return {
      newDataKey: async () => {
        const { plaintext, ciphertextBlob } = await this.#kms.generateDataKey(await this.#key(keyArn), DATA_KEY_CONTEXT);
        this.#remember(ciphertextBlob, plaintext);
        return { key: plaintext, wrapped: ciphertextBlob };
      },
      unwrap: async (wrapped) => {
        // The key's state is read on every call; only the unwrapping is cached.
        const key = await this.#key(keyArn);
        this.#kms.checkUsable(key);
        const id = wrapped.toString('base64');
        const cached = this.#dataKeys.get(id);
        if (cached !== undefined) return cached;
        const { plaintext } = await this.#kms.decrypt(wrapped, DATA_KEY_CONTEXT);
        this.#remember(wrapped, plaintext);
        return plaintext;
      },
    };
  }

  #remember(wrapped: Buffer, key: Buffer): void {
    if (this.#dataKeys.size >= DATA_KEY_CACHE) {
      const oldest = this.#dataKeys.keys().next();
      if (oldest.done !== true) this.#dataKeys.delete(oldest.value);
    }
    this.#dataKeys.set(wrapped.toString('base64'), key);
  }
}

function namespaceOf(keyArn: string): string {
  return createHash('sha256').update(keyArn).digest('hex').slice(0, 32);
}

/**
 * Validates the key of a new KMS repository as ECR does at CreateRepository: it must exist in
 * the repository's region, be enabled, be a symmetric ENCRYPT_DECRYPT key, and the caller must
 * be allowed to use it through ECR (ECR creates a grant for the repository: kms:CreateGrant and
 * kms:DescribeKey — source: ECR user guide, "Encryption at rest", required IAM permissions).
 * `kmsKey` absent: the AWS managed key alias/aws/ecr, made on first use. Returns the key ARN
 * the repository reports; throws KmsError (or AccessDeniedError) otherwise.
 */
export async function keyForNewRepository(
  kms: Kms,
  subject: AuthzSubject | undefined,
  where: { accountId: string; region: string },
  kmsKey: string | undefined,
): Promise<string> {
  const key = kmsKey === undefined ? await kms.awsManagedKey(where.accountId, where.region, 'ecr') : await kms.resolveKey(where.accountId, where.region, kmsKey);
  if (key.region !== where.region) {
    // The key must be in the repository's Region — source: ECR model, EncryptionConfiguration.kmsKey.
    // KMS in the repository's Region answers a key ARN of another Region with "Invalid arn"
    // (coreos/coreos-kubernetes#688); naming the ARN's Region after it is UNVERIFIED.
    throw new KmsError('NotFound', `Invalid arn ${key.region}`);
  }
  // A caller must be allowed to use the key through ECR; ECR creating a repository itself (from a
  // creation template) acts with its service-linked role, which the key's grants let through.
  if (subject !== undefined) {
    for (const action of ['kms:DescribeKey', 'kms:CreateGrant']) {
      await kms.authorize(subject, action, key, { viaService: 'ecr' });
    }
  }
  kms.checkUsable(key);
  if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.keyUsage !== 'ENCRYPT_DECRYPT') {
    throw new KmsError('InvalidKeyUsage', invalidKeyUsage(key));
  }
  return key.arn;
}

/** UNVERIFIED wording: ECR relays KMS's refusal of a key that cannot encrypt data keys. */
const invalidKeyUsage = (key: KeyRecord): string =>
  key.keyUsage !== 'ENCRYPT_DECRYPT'
    ? `${key.arn} key usage is ${key.keyUsage} which is not valid for GenerateDataKey.`
    : `${key.arn} key spec is ${key.keySpec} which is not valid for GenerateDataKey.`;
