import type {
  IamEntityBase,
  IamEntityRecords,
  IamGroupRecord,
  IamPolicyRecord,
  IamRecords,
  IamRoleRecord,
  IamUserRecord,
} from '../meta-store.js';
import { AlreadyExistsError } from '../meta-store.js';
import type { Db } from './db.js';

/** Record fields holding dates; JSON keeps them as ISO strings. */
const DATE_FIELDS = new Set(['createdAt', 'updatedAt']);

function revive(_key: string, value: unknown): unknown {
  return DATE_FIELDS.has(_key) && typeof value === 'string' ? new Date(value) : value;
}

/**
 * One kind of IAM entity in the `iam_entities` table: the row is keyed by the lower-cased name
 * (IAM names are unique regardless of case) and holds the record as JSON.
 */
class SqliteIamEntities<T extends IamEntityBase> implements IamEntityRecords<T> {
  private readonly insert;
  private readonly select;
  private readonly selectAll;
  private readonly replace;
  private readonly remove;

  constructor(
    private readonly db: Db,
    private readonly kind: string,
  ) {
    this.insert = db.prepare(
      'INSERT INTO iam_entities (account_id, kind, name_key, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.select = db.prepare<[string, string, string], { body: string }>(
      'SELECT body FROM iam_entities WHERE account_id = ? AND kind = ? AND name_key = ?',
    );
    this.selectAll = db.prepare<[string, string], { body: string }>(
      'SELECT body FROM iam_entities WHERE account_id = ? AND kind = ? ORDER BY name_key',
    );
    this.replace = db.prepare('UPDATE iam_entities SET body = ? WHERE account_id = ? AND kind = ? AND name_key = ?');
    this.remove = db.prepare('DELETE FROM iam_entities WHERE account_id = ? AND kind = ? AND name_key = ?');
  }

  private read(accountId: string, name: string): T | undefined {
    const row = this.select.get(accountId, this.kind, name.toLowerCase());
    return row ? (JSON.parse(row.body, revive) as T) : undefined;
  }

  async create(record: T): Promise<void> {
    const changes = this.insert.run(record.accountId, this.kind, record.name.toLowerCase(), JSON.stringify(record)).changes;
    if (changes === 0) throw new AlreadyExistsError(`${this.kind} ${record.name} exists`);
  }

  async get(accountId: string, name: string): Promise<T | undefined> {
    return this.read(accountId, name);
  }

  async list(accountId: string): Promise<T[]> {
    return this.selectAll.all(accountId, this.kind).map((r) => JSON.parse(r.body, revive) as T);
  }

  async update(accountId: string, name: string, change: (r: T) => T): Promise<T | undefined> {
    return this.db.transaction(() => {
      const current = this.read(accountId, name);
      if (current === undefined) return undefined;
      const next = change(current);
      this.replace.run(JSON.stringify(next), accountId, this.kind, name.toLowerCase());
      return next;
    })();
  }

  async delete(accountId: string, name: string): Promise<boolean> {
    return this.remove.run(accountId, this.kind, name.toLowerCase()).changes > 0;
  }
}

export function sqliteIam(db: Db): IamRecords {
  return {
    users: new SqliteIamEntities<IamUserRecord>(db, 'user'),
    roles: new SqliteIamEntities<IamRoleRecord>(db, 'role'),
    groups: new SqliteIamEntities<IamGroupRecord>(db, 'group'),
    policies: new SqliteIamEntities<IamPolicyRecord>(db, 'policy'),
  };
}
