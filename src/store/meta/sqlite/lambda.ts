import type { LambdaFunctionKey, LambdaFunctionRecord, LambdaFunctionRecords, Page } from '../meta-store.js';
import { AlreadyExistsError } from '../meta-store.js';
import type { Db } from './db.js';

/** Lambda functions in `lambda_functions`: one JSON record per function. */
export class SqliteLambdaFunctions implements LambdaFunctionRecords {
  private readonly insert;
  private readonly select;
  private readonly page;
  private readonly replace;
  private readonly remove;
  private readonly pending;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO lambda_functions (account_id, region, name, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.select = db.prepare<[string, string, string], { body: string }>(
      'SELECT body FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.page = db.prepare<[string, string, string, number], { name: string; body: string }>(
      'SELECT name, body FROM lambda_functions WHERE account_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?',
    );
    this.replace = db.prepare('UPDATE lambda_functions SET body = ? WHERE account_id = ? AND region = ? AND name = ?');
    this.remove = db.prepare('DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?');
    this.pending = db.prepare<[], { body: string }>(
      `SELECT body FROM lambda_functions
       WHERE json_extract(body, '$.latest.state') = 'Pending' OR json_extract(body, '$.latest.lastUpdateStatus') = 'InProgress'`,
    );
  }

  async create(record: LambdaFunctionRecord): Promise<void> {
    const changes = this.insert.run(record.accountId, record.region, record.name, JSON.stringify(record)).changes;
    if (changes === 0) throw new AlreadyExistsError(`function ${record.name} exists`);
  }

  private read(key: LambdaFunctionKey): LambdaFunctionRecord | undefined {
    const row = this.select.get(key.accountId, key.region, key.name);
    return row ? (JSON.parse(row.body) as LambdaFunctionRecord) : undefined;
  }

  async get(key: LambdaFunctionKey): Promise<LambdaFunctionRecord | undefined> {
    return this.read(key);
  }

  async list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<LambdaFunctionRecord>> {
    const rows = this.page.all(accountId, region, opts.after ?? '', opts.limit + 1);
    const items = rows.slice(0, opts.limit).map((r) => JSON.parse(r.body) as LambdaFunctionRecord);
    return rows.length > opts.limit ? { items, next: rows[opts.limit - 1]!.name } : { items };
  }

  async update(key: LambdaFunctionKey, change: (r: LambdaFunctionRecord) => LambdaFunctionRecord): Promise<LambdaFunctionRecord | undefined> {
    return this.db.transaction(() => {
      const current = this.read(key);
      if (current === undefined) return undefined;
      const next = change(current);
      this.replace.run(JSON.stringify(next), key.accountId, key.region, key.name);
      return next;
    })();
  }

  async unsettled(): Promise<LambdaFunctionRecord[]> {
    return this.pending.all().map((r) => JSON.parse(r.body) as LambdaFunctionRecord);
  }

  async delete(key: LambdaFunctionKey): Promise<boolean> {
    return this.remove.run(key.accountId, key.region, key.name).changes > 0;
  }
}
