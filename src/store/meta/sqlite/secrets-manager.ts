import type { SecretRecord, SecretsManagerRecords } from '../meta-store.js';
import { AlreadyExistsError } from '../meta-store.js';
import type { Db } from './db.js';

const DATE_FIELDS = new Set(['createdDate', 'lastChangedDate', 'lastAccessedDate', 'deletedDate', 'deletionDate']);

function revive(key: string, value: unknown): unknown {
  return DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;
}

const parse = (body: string): SecretRecord => JSON.parse(body, revive) as SecretRecord;

/**
 * Secrets Manager secrets: the record is JSON in `body`. Values in it are KMS ciphertext only
 * (the domain seals them before they reach the store).
 */
export class SqliteSecretsManager implements SecretsManagerRecords {
  private readonly insert;
  private readonly selectByArn;
  private readonly selectByName;
  private readonly selectAll;
  private readonly replace;
  private readonly remove;
  private readonly selectDue;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO sm_secrets (arn, account_id, region, name, created_at, deletion_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.selectByArn = db.prepare<[string], { body: string }>('SELECT body FROM sm_secrets WHERE arn = ?');
    this.selectByName = db.prepare<[string, string, string], { body: string }>(
      'SELECT body FROM sm_secrets WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.selectAll = db.prepare<[string, string], { body: string }>('SELECT body FROM sm_secrets WHERE account_id = ? AND region = ? ORDER BY name');
    this.replace = db.prepare('UPDATE sm_secrets SET body = ?, deletion_at = ? WHERE arn = ?');
    this.remove = db.prepare('DELETE FROM sm_secrets WHERE arn = ?');
    this.selectDue = db.prepare<[number], { arn: string }>(
      'SELECT arn FROM sm_secrets WHERE deletion_at IS NOT NULL AND deletion_at <= ? ORDER BY deletion_at',
    );
  }

  async create(s: SecretRecord): Promise<void> {
    const changes = this.insert.run(s.arn, s.accountId, s.region, s.name, s.createdDate.getTime(), s.deletionDate?.getTime() ?? null, JSON.stringify(s)).changes;
    if (changes === 0) throw new AlreadyExistsError(`secret ${s.name} exists`);
  }

  async get(arn: string): Promise<SecretRecord | undefined> {
    const row = this.selectByArn.get(arn);
    return row ? parse(row.body) : undefined;
  }

  async getByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined> {
    const row = this.selectByName.get(accountId, region, name);
    return row ? parse(row.body) : undefined;
  }

  async list(accountId: string, region: string): Promise<SecretRecord[]> {
    return this.selectAll.all(accountId, region).map((r) => parse(r.body));
  }

  async update(arn: string, change: (s: SecretRecord) => SecretRecord): Promise<SecretRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.selectByArn.get(arn);
      if (!row) return undefined;
      const next = change(parse(row.body));
      this.replace.run(JSON.stringify(next), next.deletionDate?.getTime() ?? null, arn);
      return next;
    })();
  }

  async delete(arn: string): Promise<boolean> {
    return this.remove.run(arn).changes > 0;
  }

  async dueForDeletion(now: Date): Promise<string[]> {
    return this.selectDue.all(now.getTime()).map((r) => r.arn);
  }
}
