import type { EcsRecordKey, EcsRecords } from '../meta-store.js';
import type { Db } from './db.js';

/** ECS resources in `ecs_records`: one JSON record per cluster, task definition, task or service. */
export class SqliteEcsRecords implements EcsRecords {
  private readonly upsert;
  private readonly select;
  private readonly selectKind;
  private readonly selectAll;
  private readonly remove;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      'INSERT INTO ecs_records (account_id, region, kind, name, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, region, kind, name) DO UPDATE SET body = excluded.body',
    );
    this.select = db.prepare<[string, string, string, string], { body: string }>(
      'SELECT body FROM ecs_records WHERE account_id = ? AND region = ? AND kind = ? AND name = ?',
    );
    this.selectKind = db.prepare<[string, string, string], { body: string }>(
      'SELECT body FROM ecs_records WHERE account_id = ? AND region = ? AND kind = ? ORDER BY name',
    );
    this.selectAll = db.prepare<[string], { body: string }>('SELECT body FROM ecs_records WHERE kind = ? ORDER BY account_id, region, name');
    this.remove = db.prepare('DELETE FROM ecs_records WHERE account_id = ? AND region = ? AND kind = ? AND name = ?');
  }

  async get<T>(key: EcsRecordKey): Promise<T | undefined> {
    const row = this.select.get(key.accountId, key.region, key.kind, key.name);
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  async put(key: EcsRecordKey, body: unknown): Promise<void> {
    this.upsert.run(key.accountId, key.region, key.kind, key.name, JSON.stringify(body));
  }

  async update<T>(key: EcsRecordKey, change: (r: T) => T): Promise<T | undefined> {
    return this.db.transaction(() => {
      const row = this.select.get(key.accountId, key.region, key.kind, key.name);
      if (!row) return undefined;
      const next = change(JSON.parse(row.body) as T);
      this.upsert.run(key.accountId, key.region, key.kind, key.name, JSON.stringify(next));
      return next;
    })();
  }

  async list<T>(accountId: string, region: string, kind: string): Promise<T[]> {
    return this.selectKind.all(accountId, region, kind).map((r) => JSON.parse(r.body) as T);
  }

  async all<T>(kind: string): Promise<T[]> {
    return this.selectAll.all(kind).map((r) => JSON.parse(r.body) as T);
  }

  async delete(key: EcsRecordKey): Promise<boolean> {
    return this.remove.run(key.accountId, key.region, key.kind, key.name).changes > 0;
  }
}
