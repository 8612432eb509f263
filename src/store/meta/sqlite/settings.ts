import type { Sealer } from '../../sealing.js';
import type { SecretRecords, SettingRecords } from '../meta-store.js';
import type { Db } from './db.js';

export class SqliteSettings implements SettingRecords {
  private readonly select;
  private readonly upsert;
  private readonly remove;

  constructor(db: Db) {
    this.select = db.prepare<[string, string, string], { value: string }>(
      'SELECT value FROM settings WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.upsert = db.prepare(
      `INSERT INTO settings (account_id, region, name, value) VALUES (?, ?, ?, ?)
       ON CONFLICT(account_id, region, name) DO UPDATE SET value = excluded.value`,
    );
    this.remove = db.prepare('DELETE FROM settings WHERE account_id = ? AND region = ? AND name = ?');
  }

  async get(accountId: string, region: string, name: string): Promise<string | undefined> {
    return this.select.get(accountId, region, name)?.value;
  }

  async put(accountId: string, region: string, name: string, value: string): Promise<void> {
    this.upsert.run(accountId, region, name, value);
  }

  async delete(accountId: string, region: string, name: string): Promise<boolean> {
    return this.remove.run(accountId, region, name).changes > 0;
  }
}

export class SqliteSecrets implements SecretRecords {
  private readonly select;
  private readonly insert;

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
  ) {
    this.select = db.prepare<[string], { sealed: string }>('SELECT sealed FROM secrets WHERE name = ?');
    this.insert = db.prepare('INSERT INTO secrets (name, sealed) VALUES (?, ?)');
  }

  async getOrCreate(name: string, make: () => string): Promise<string> {
    return this.db.transaction(() => {
      const row = this.select.get(name);
      if (row) return this.sealer.unseal(row.sealed);
      const value = make();
      this.insert.run(name, this.sealer.seal(value));
      return value;
    })();
  }
}
