import {
  AlreadyExistsError,
  type PullThroughCacheRecords,
  type PullThroughCacheRuleRecord,
  type PullThroughCacheTagRecord,
  type RepoKey,
} from '../meta-store.js';
import { fromMillis, type Db } from './db.js';

interface RuleRow {
  account_id: string;
  region: string;
  prefix: string;
  rule: string;
  created_at: number;
  updated_at: number;
}

type RuleSettings = Omit<PullThroughCacheRuleRecord, 'accountId' | 'region' | 'prefix' | 'createdAt' | 'updatedAt'>;

const toRecord = (r: RuleRow): PullThroughCacheRuleRecord => ({
  ...(JSON.parse(r.rule) as RuleSettings),
  accountId: r.account_id,
  region: r.region,
  prefix: r.prefix,
  createdAt: fromMillis(r.created_at),
  updatedAt: fromMillis(r.updated_at),
});

function toRow(t: PullThroughCacheRuleRecord): RuleRow {
  const { accountId, region, prefix, createdAt, updatedAt, ...settings } = t;
  return { account_id: accountId, region, prefix, rule: JSON.stringify(settings), created_at: createdAt.getTime(), updated_at: updatedAt.getTime() };
}

export class SqlitePullThroughCache implements PullThroughCacheRecords {
  private readonly insert;
  private readonly update;
  private readonly selectOne;
  private readonly selectAll;
  private readonly remove;
  private readonly selectTag;
  private readonly upsertTag;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO pull_through_cache_rules (account_id, region, prefix, rule, created_at, updated_at)
       VALUES (@account_id, @region, @prefix, @rule, @created_at, @updated_at) ON CONFLICT DO NOTHING`,
    );
    this.update = db.prepare(
      `UPDATE pull_through_cache_rules SET rule = @rule, updated_at = @updated_at
       WHERE account_id = @account_id AND region = @region AND prefix = @prefix`,
    );
    this.selectOne = db.prepare<[string, string, string], RuleRow>(
      'SELECT * FROM pull_through_cache_rules WHERE account_id = ? AND region = ? AND prefix = ?',
    );
    this.selectAll = db.prepare<[string, string], RuleRow>(
      'SELECT * FROM pull_through_cache_rules WHERE account_id = ? AND region = ? ORDER BY prefix',
    );
    this.remove = db.prepare('DELETE FROM pull_through_cache_rules WHERE account_id = ? AND region = ? AND prefix = ?');
    this.selectTag = db.prepare<[string, string, string, string], { digest: string; checked_at: number }>(
      'SELECT digest, checked_at FROM pull_through_cache_tags WHERE account_id = ? AND region = ? AND repository_name = ? AND tag = ?',
    );
    this.upsertTag = db.prepare(
      `INSERT INTO pull_through_cache_tags (account_id, region, repository_name, tag, digest, checked_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, repository_name, tag) DO UPDATE SET digest = excluded.digest, checked_at = excluded.checked_at`,
    );
  }

  async create(rule: PullThroughCacheRuleRecord): Promise<void> {
    if (this.insert.run(toRow(rule)).changes === 0) throw new AlreadyExistsError(rule.prefix);
  }

  async get(accountId: string, region: string, prefix: string): Promise<PullThroughCacheRuleRecord | undefined> {
    const row = this.selectOne.get(accountId, region, prefix);
    return row && toRecord(row);
  }

  async all(accountId: string, region: string): Promise<PullThroughCacheRuleRecord[]> {
    return this.selectAll.all(accountId, region).map(toRecord);
  }

  async replace(rule: PullThroughCacheRuleRecord): Promise<boolean> {
    return this.update.run(toRow(rule)).changes > 0;
  }

  async delete(accountId: string, region: string, prefix: string): Promise<PullThroughCacheRuleRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.selectOne.get(accountId, region, prefix);
      if (row) this.remove.run(accountId, region, prefix);
      return row && toRecord(row);
    })();
  }

  async tagChecked(key: RepoKey, tag: string): Promise<PullThroughCacheTagRecord | undefined> {
    const row = this.selectTag.get(key.accountId, key.region, key.name, tag);
    return row && { digest: row.digest, checkedAt: fromMillis(row.checked_at) };
  }

  async recordTagCheck(key: RepoKey, tag: string, check: PullThroughCacheTagRecord): Promise<void> {
    this.upsertTag.run(key.accountId, key.region, key.name, tag, check.digest, check.checkedAt.getTime());
  }
}
