import {
  AlreadyExistsError,
  type CreationTemplateRecord,
  type CreationTemplateRecords,
  type PullTimeExclusionRecord,
  type PullTimeExclusionRecords,
} from '../meta-store.js';
import { fromMillis, type Db } from './db.js';

export class SqlitePullTimeExclusions implements PullTimeExclusionRecords {
  private readonly insert;
  private readonly remove_;
  private readonly select;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO pull_time_update_exclusions (account_id, region, principal_arn, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.remove_ = db.prepare('DELETE FROM pull_time_update_exclusions WHERE account_id = ? AND region = ? AND principal_arn = ?');
    this.select = db.prepare<[string, string], { principal_arn: string; created_at: number }>(
      'SELECT principal_arn, created_at FROM pull_time_update_exclusions WHERE account_id = ? AND region = ? ORDER BY principal_arn',
    );
  }

  async add(accountId: string, region: string, exclusion: PullTimeExclusionRecord): Promise<boolean> {
    return this.insert.run(accountId, region, exclusion.principalArn, exclusion.createdAt.getTime()).changes > 0;
  }

  async remove(accountId: string, region: string, principalArn: string): Promise<boolean> {
    return this.remove_.run(accountId, region, principalArn).changes > 0;
  }

  async all(accountId: string, region: string): Promise<PullTimeExclusionRecord[]> {
    return this.select.all(accountId, region).map((r) => ({ principalArn: r.principal_arn, createdAt: fromMillis(r.created_at) }));
  }
}

interface TemplateRow {
  account_id: string;
  region: string;
  prefix: string;
  template: string;
  created_at: number;
  updated_at: number;
}

/** The settings of a template; keys and times have their own columns. */
type TemplateSettings = Omit<CreationTemplateRecord, 'accountId' | 'region' | 'prefix' | 'createdAt' | 'updatedAt'>;

const toRecord = (r: TemplateRow): CreationTemplateRecord => ({
  ...(JSON.parse(r.template) as TemplateSettings),
  accountId: r.account_id,
  region: r.region,
  prefix: r.prefix,
  createdAt: fromMillis(r.created_at),
  updatedAt: fromMillis(r.updated_at),
});

function toRow(t: CreationTemplateRecord): TemplateRow {
  const { accountId, region, prefix, createdAt, updatedAt, ...settings } = t;
  return {
    account_id: accountId,
    region,
    prefix,
    template: JSON.stringify(settings),
    created_at: createdAt.getTime(),
    updated_at: updatedAt.getTime(),
  };
}

export class SqliteCreationTemplates implements CreationTemplateRecords {
  private readonly insert;
  private readonly update;
  private readonly selectOne;
  private readonly selectAll;
  private readonly remove;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO repository_creation_templates (account_id, region, prefix, template, created_at, updated_at)
       VALUES (@account_id, @region, @prefix, @template, @created_at, @updated_at) ON CONFLICT DO NOTHING`,
    );
    this.update = db.prepare(
      `UPDATE repository_creation_templates SET template = @template, updated_at = @updated_at
       WHERE account_id = @account_id AND region = @region AND prefix = @prefix`,
    );
    this.selectOne = db.prepare<[string, string, string], TemplateRow>(
      'SELECT * FROM repository_creation_templates WHERE account_id = ? AND region = ? AND prefix = ?',
    );
    this.selectAll = db.prepare<[string, string], TemplateRow>(
      'SELECT * FROM repository_creation_templates WHERE account_id = ? AND region = ? ORDER BY prefix',
    );
    this.remove = db.prepare('DELETE FROM repository_creation_templates WHERE account_id = ? AND region = ? AND prefix = ?');
  }

  async create(template: CreationTemplateRecord): Promise<void> {
    if (this.insert.run(toRow(template)).changes === 0) throw new AlreadyExistsError(template.prefix);
  }

  async get(accountId: string, region: string, prefix: string): Promise<CreationTemplateRecord | undefined> {
    const row = this.selectOne.get(accountId, region, prefix);
    return row && toRecord(row);
  }

  async all(accountId: string, region: string): Promise<CreationTemplateRecord[]> {
    return this.selectAll.all(accountId, region).map(toRecord);
  }

  async replace(template: CreationTemplateRecord): Promise<boolean> {
    return this.update.run(toRow(template)).changes > 0;
  }

  async delete(accountId: string, region: string, prefix: string): Promise<CreationTemplateRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.selectOne.get(accountId, region, prefix);
      if (row) this.remove.run(accountId, region, prefix);
      return row && toRecord(row);
    })();
  }
}
