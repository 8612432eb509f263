import type { NewRepository, Page, RepoKey, RepositoryRecord, RepositoryRecords } from '../meta-store.js';
import { AlreadyExistsError } from '../meta-store.js';
import type { Db } from './db.js';
import { decodeCursor, encodeCursor, fromMillis } from './db.js';

interface RepoRow {
  id: number;
  account_id: string;
  region: string;
  name: string;
  created_at: number;
  tag_mutability: string;
  mutability_exclusions: string;
  scan_on_push: number;
  encryption_type: string;
  kms_key: string | null;
  tags: string;
}

const toRecord = (r: RepoRow): RepositoryRecord => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  name: r.name,
  createdAt: fromMillis(r.created_at),
  imageTagMutability: r.tag_mutability,
  imageTagMutabilityExclusionFilters: JSON.parse(r.mutability_exclusions) as RepositoryRecord['imageTagMutabilityExclusionFilters'],
  scanOnPush: r.scan_on_push === 1,
  encryptionType: r.encryption_type,
  ...(r.kms_key ? { kmsKey: r.kms_key } : {}),
  tags: JSON.parse(r.tags) as RepositoryRecord['tags'],
});

const toRow = (r: NewRepository) => ({
  account_id: r.accountId,
  region: r.region,
  name: r.name,
  created_at: r.createdAt.getTime(),
  tag_mutability: r.imageTagMutability,
  mutability_exclusions: JSON.stringify(r.imageTagMutabilityExclusionFilters),
  scan_on_push: r.scanOnPush ? 1 : 0,
  encryption_type: r.encryptionType,
  kms_key: r.kmsKey ?? null,
  tags: JSON.stringify(r.tags),
});

export class SqliteRepositories implements RepositoryRecords {
  private readonly insert;
  private readonly byKey;
  private readonly page;
  private readonly names;
  private readonly replace;
  private readonly remove;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO repositories (account_id, region, name, created_at, tag_mutability, mutability_exclusions,
         scan_on_push, encryption_type, kms_key, tags)
       VALUES (@account_id, @region, @name, @created_at, @tag_mutability, @mutability_exclusions,
         @scan_on_push, @encryption_type, @kms_key, @tags)
       ON CONFLICT(account_id, region, name) DO NOTHING`,
    );
    this.byKey = db.prepare<[string, string, string], RepoRow>(
      'SELECT * FROM repositories WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.page = db.prepare<[string, string, number, number], RepoRow>(
      'SELECT * FROM repositories WHERE account_id = ? AND region = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.names = db.prepare<[string, string, string, number], { name: string }>(
      'SELECT name FROM repositories WHERE account_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?',
    );
    this.replace = db.prepare(
      `UPDATE repositories SET tag_mutability = @tag_mutability, mutability_exclusions = @mutability_exclusions,
         scan_on_push = @scan_on_push, encryption_type = @encryption_type, kms_key = @kms_key, tags = @tags
       WHERE id = @id`,
    );
    this.remove = db.prepare('DELETE FROM repositories WHERE id = ?');
  }

  async create(repo: NewRepository): Promise<RepositoryRecord> {
    const result = this.insert.run(toRow(repo));
    if (result.changes === 0) throw new AlreadyExistsError(repo.name);
    return { ...repo, id: Number(result.lastInsertRowid) };
  }

  async get(key: RepoKey): Promise<RepositoryRecord | undefined> {
    const row = this.byKey.get(key.accountId, key.region, key.name);
    return row && toRecord(row);
  }

  async list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<RepositoryRecord>> {
    const after = opts.after ? Number(decodeCursor(opts.after)) || 0 : 0;
    const rows = this.page.all(accountId, region, after, opts.limit + 1);
    const items = rows.slice(0, opts.limit).map(toRecord);
    const last = items[items.length - 1];
    return rows.length > opts.limit && last ? { items, next: encodeCursor(last.id) } : { items };
  }

  async listNames(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<string>> {
    const rows = this.names.all(accountId, region, opts.after ?? '', opts.limit + 1);
    const items = rows.slice(0, opts.limit).map((r) => r.name);
    const last = items[items.length - 1];
    return rows.length > opts.limit && last !== undefined ? { items, next: last } : { items };
  }

  async update(key: RepoKey, change: (r: RepositoryRecord) => RepositoryRecord): Promise<RepositoryRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.byKey.get(key.accountId, key.region, key.name);
      if (!row) return undefined;
      const next = change(toRecord(row));
      this.replace.run({ ...toRow(next), id: row.id });
      return next;
    })();
  }

  async delete(key: RepoKey): Promise<RepositoryRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.byKey.get(key.accountId, key.region, key.name);
      if (!row) return undefined;
      this.remove.run(row.id);
      return toRecord(row);
    })();
  }
}
