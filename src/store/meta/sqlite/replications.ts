import type { RepoKey, ReplicationRecord, ReplicationRecords } from '../meta-store.js';
import type { Db } from './db.js';

interface Row {
  account_id: string;
  region: string;
  repository_name: string;
  image_digest: string;
  dest_region: string;
  dest_registry_id: string;
  status: string;
  failure_code: string | null;
  updated_at: number;
}

const toRecord = (r: Row): ReplicationRecord => ({
  accountId: r.account_id,
  region: r.region,
  repositoryName: r.repository_name,
  imageDigest: r.image_digest,
  destRegion: r.dest_region,
  destRegistryId: r.dest_registry_id,
  status: r.status,
  ...(r.failure_code !== null ? { failureCode: r.failure_code } : {}),
  updatedAt: new Date(r.updated_at),
});

export class SqliteReplications implements ReplicationRecords {
  private readonly upsert;
  private readonly selectImage;
  private readonly selectPending;

  constructor(db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO ecr_replications (account_id, region, repository_name, image_digest, dest_region, dest_registry_id, status, failure_code, updated_at)
       VALUES (@account_id, @region, @repository_name, @image_digest, @dest_region, @dest_registry_id, @status, @failure_code, @updated_at)
       ON CONFLICT DO UPDATE SET status = excluded.status, failure_code = excluded.failure_code, updated_at = excluded.updated_at`,
    );
    this.selectImage = db.prepare<[string, string, string, string], Row>(
      `SELECT * FROM ecr_replications WHERE account_id = ? AND region = ? AND repository_name = ? AND image_digest = ?
       ORDER BY dest_registry_id, dest_region`,
    );
    this.selectPending = db.prepare<[number], Row>(
      "SELECT * FROM ecr_replications WHERE status = 'IN_PROGRESS' ORDER BY updated_at LIMIT ?",
    );
  }

  async put(r: ReplicationRecord): Promise<void> {
    this.upsert.run({
      account_id: r.accountId,
      region: r.region,
      repository_name: r.repositoryName,
      image_digest: r.imageDigest,
      dest_region: r.destRegion,
      dest_registry_id: r.destRegistryId,
      status: r.status,
      failure_code: r.failureCode ?? null,
      updated_at: r.updatedAt.getTime(),
    });
  }

  async ofImage(key: RepoKey, imageDigest: string): Promise<ReplicationRecord[]> {
    return this.selectImage.all(key.accountId, key.region, key.name, imageDigest).map(toRecord);
  }

  async pending(limit: number): Promise<ReplicationRecord[]> {
    return this.selectPending.all(limit).map(toRecord);
  }
}
