import type { Sealer } from '../../sealing.js';
import type { RepoKey, SigningKeyRecord, SigningRecords, SigningStatusRecord } from '../meta-store.js';
import type { Db } from './db.js';

interface StatusRow {
  account_id: string;
  region: string;
  repository_name: string;
  image_digest: string;
  signing_profile_arn: string;
  status: string;
  failure_code: string | null;
  failure_reason: string | null;
  updated_at: number;
}

interface KeyRow {
  account_id: string;
  name: string;
  certificate: string;
  key_sealed: string;
  created_at: number;
}

const toStatus = (r: StatusRow): SigningStatusRecord => ({
  accountId: r.account_id,
  region: r.region,
  repositoryName: r.repository_name,
  imageDigest: r.image_digest,
  signingProfileArn: r.signing_profile_arn,
  status: r.status,
  ...(r.failure_code !== null ? { failureCode: r.failure_code } : {}),
  ...(r.failure_reason !== null ? { failureReason: r.failure_reason } : {}),
  updatedAt: new Date(r.updated_at),
});

/**
 * Signing statuses (the queue of pending signatures) and signing keys. A key's private half is
 * sealed under the master key (AES-256-GCM, as KMS key material is), so a copy of simfra.db alone
 * reveals no signing key.
 */
export class SqliteSigning implements SigningRecords {
  private readonly upsertStatus;
  private readonly selectStatuses;
  private readonly selectPending;
  private readonly insertKey;
  private readonly selectKey;
  private readonly selectKeys;

  constructor(
    db: Db,
    private readonly sealer: Sealer,
  ) {
    this.upsertStatus = db.prepare(
      `INSERT INTO ecr_signing_statuses (account_id, region, repository_name, image_digest, signing_profile_arn, status, failure_code, failure_reason, updated_at)
       VALUES (@account_id, @region, @repository_name, @image_digest, @signing_profile_arn, @status, @failure_code, @failure_reason, @updated_at)
       ON CONFLICT DO UPDATE SET status = excluded.status, failure_code = excluded.failure_code,
         failure_reason = excluded.failure_reason, updated_at = excluded.updated_at`,
    );
    this.selectStatuses = db.prepare<[string, string, string, string], StatusRow>(
      `SELECT * FROM ecr_signing_statuses WHERE account_id = ? AND region = ? AND repository_name = ? AND image_digest = ?
       ORDER BY signing_profile_arn`,
    );
    this.selectPending = db.prepare<[number], StatusRow>(
      "SELECT * FROM ecr_signing_statuses WHERE status = 'IN_PROGRESS' ORDER BY updated_at LIMIT ?",
    );
    this.insertKey = db.prepare(
      `INSERT INTO signing_keys (account_id, name, certificate, key_sealed, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.selectKey = db.prepare<[string, string], KeyRow>('SELECT * FROM signing_keys WHERE account_id = ? AND name = ?');
    this.selectKeys = db.prepare<[string], KeyRow>('SELECT * FROM signing_keys WHERE account_id = ? ORDER BY created_at, name');
  }

  async putStatus(r: SigningStatusRecord): Promise<void> {
    this.upsertStatus.run({
      account_id: r.accountId,
      region: r.region,
      repository_name: r.repositoryName,
      image_digest: r.imageDigest,
      signing_profile_arn: r.signingProfileArn,
      status: r.status,
      failure_code: r.failureCode ?? null,
      failure_reason: r.failureReason ?? null,
      updated_at: r.updatedAt.getTime(),
    });
  }

  async statusesOf(key: RepoKey, imageDigest: string): Promise<SigningStatusRecord[]> {
    return this.selectStatuses.all(key.accountId, key.region, key.name, imageDigest).map(toStatus);
  }

  async pending(limit: number): Promise<SigningStatusRecord[]> {
    return this.selectPending.all(limit).map(toStatus);
  }

  async getKey(accountId: string, name: string): Promise<SigningKeyRecord | undefined> {
    const row = this.selectKey.get(accountId, name);
    return row ? this.toKey(row) : undefined;
  }

  async addKey(key: SigningKeyRecord): Promise<SigningKeyRecord> {
    this.insertKey.run(key.accountId, key.name, key.certificatePem, this.sealer.seal(key.privateKeyPem), key.createdAt.getTime());
    const stored = this.selectKey.get(key.accountId, key.name);
    if (stored === undefined) throw new Error(`signing key ${key.name} of ${key.accountId} vanished`);
    return this.toKey(stored);
  }

  async keysOf(accountId: string): Promise<SigningKeyRecord[]> {
    return this.selectKeys.all(accountId).map((r) => this.toKey(r));
  }

  private toKey(r: KeyRow): SigningKeyRecord {
    return {
      accountId: r.account_id,
      name: r.name,
      certificatePem: r.certificate,
      privateKeyPem: this.sealer.unseal(r.key_sealed),
      createdAt: new Date(r.created_at),
    };
  }
}
