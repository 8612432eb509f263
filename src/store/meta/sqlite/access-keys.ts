import type { Sealer } from '../../sealing.js';
import type { AccessKeyRecord, AccessKeyRecords, KeyOwner } from '../meta-store.js';
import type { Db } from './db.js';
import { fromMillis } from './db.js';

interface KeyRow {
  access_key_id: string;
  account_id: string;
  secret_sealed: string;
  principal: string;
  session_token: string | null;
  status: string;
  created_at: number;
  expires_at: number | null;
}

/**
 * Access keys are read on every signed request, so unsealed records are cached in memory;
 * every write goes through to the database first.
 */
export class SqliteAccessKeys implements AccessKeyRecords {
  private readonly cache = new Map<string, AccessKeyRecord | null>();
  private readonly upsert;
  private readonly byId;
  private readonly byAccount;
  private readonly remove;

  constructor(
    db: Db,
    private readonly sealer: Sealer,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO access_keys (access_key_id, account_id, secret_sealed, principal, session_token, status, created_at, expires_at)
       VALUES (@access_key_id, @account_id, @secret_sealed, @principal, @session_token, @status, @created_at, @expires_at)
       ON CONFLICT(access_key_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, principal = excluded.principal,
         session_token = excluded.session_token, status = excluded.status, expires_at = excluded.expires_at`,
    );
    this.byId = db.prepare<[string], KeyRow>('SELECT * FROM access_keys WHERE access_key_id = ?');
    this.byAccount = db.prepare<[string], KeyRow>('SELECT * FROM access_keys WHERE account_id = ? ORDER BY created_at');
    this.remove = db.prepare('DELETE FROM access_keys WHERE access_key_id = ?');
  }

  private toRecord(r: KeyRow): AccessKeyRecord {
    return {
      accessKeyId: r.access_key_id,
      accountId: r.account_id,
      secretAccessKey: this.sealer.unseal(r.secret_sealed),
      owner: JSON.parse(r.principal) as KeyOwner,
      ...(r.session_token ? { sessionToken: r.session_token } : {}),
      status: r.status === 'Inactive' ? 'Inactive' : 'Active',
      createdAt: fromMillis(r.created_at),
      ...(r.expires_at !== null ? { expiresAt: fromMillis(r.expires_at) } : {}),
    };
  }

  putSync(key: AccessKeyRecord): void {
    this.upsert.run({
      access_key_id: key.accessKeyId,
      account_id: key.accountId,
      secret_sealed: this.sealer.seal(key.secretAccessKey),
      principal: JSON.stringify(key.owner),
      session_token: key.sessionToken ?? null,
      status: key.status,
      created_at: key.createdAt.getTime(),
      expires_at: key.expiresAt?.getTime() ?? null,
    });
    this.cache.set(key.accessKeyId, key);
  }

  async put(key: AccessKeyRecord): Promise<void> {
    this.putSync(key);
  }

  getSync(accessKeyId: string): AccessKeyRecord | undefined {
    const cached = this.cache.get(accessKeyId);
    if (cached !== undefined) return cached ?? undefined;
    const row = this.byId.get(accessKeyId);
    const record = row ? this.toRecord(row) : undefined;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(accessKeyId, record ?? null);
    return record;
  }

  async get(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.getSync(accessKeyId);
  }

  async listByAccount(accountId: string): Promise<AccessKeyRecord[]> {
    return this.byAccount.all(accountId).map((r) => this.toRecord(r));
  }

  async delete(accessKeyId: string): Promise<boolean> {
    this.cache.delete(accessKeyId);
    return this.remove.run(accessKeyId).changes > 0;
  }

  /** Drops a cached record whose row went away with its account. */
  evict(accessKeyId: string): void {
    this.cache.delete(accessKeyId);
  }
}
