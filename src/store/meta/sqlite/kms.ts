import type { Sealer } from '../../sealing.js';
import type { KmsAliasRecord, KmsKeyMaterial, KmsKeyRecord, KmsRecords, Page } from '../meta-store.js';
import { AlreadyExistsError } from '../meta-store.js';
import type { Db } from './db.js';
import { decodeCursor, encodeCursor, fromMillis } from './db.js';

const DATE_FIELDS = new Set(['creationDate', 'deletionDate', 'nextRotationDate', 'createdAt']);

function revive(key: string, value: unknown): unknown {
  return DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;
}

interface KeyRow {
  key_id: string;
  created_at: number;
  body: string;
}

interface AliasRow {
  account_id: string;
  region: string;
  name: string;
  target_key_id: string;
  created_at: number;
  updated_at: number;
}

const toAlias = (r: AliasRow): KmsAliasRecord => ({
  accountId: r.account_id,
  region: r.region,
  name: r.name,
  targetKeyId: r.target_key_id,
  createdAt: fromMillis(r.created_at),
  updatedAt: fromMillis(r.updated_at),
});

/**
 * KMS keys and aliases. The record is JSON in `body`; the material versions are one sealed JSON
 * array (AES-256-GCM under the master key), so a copy of simfra.db alone reveals no key.
 */
export class SqliteKms implements KmsRecords {
  private readonly insertKey;
  private readonly selectKey;
  private readonly selectMaterial;
  private readonly selectPage;
  private readonly replaceKey;
  private readonly replaceMaterial;
  private readonly removeKey;
  private readonly selectDue;
  private readonly selectAll;
  private readonly insertAlias;
  private readonly selectAlias;
  private readonly selectAliases;
  private readonly retarget;
  private readonly removeAlias;

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
  ) {
    this.insertKey = db.prepare(
      'INSERT INTO kms_keys (key_id, account_id, region, created_at, deletion_at, body, material) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectKey = db.prepare<[string], { body: string }>('SELECT body FROM kms_keys WHERE key_id = ?');
    this.selectMaterial = db.prepare<[string], { material: string }>('SELECT material FROM kms_keys WHERE key_id = ?');
    this.selectPage = db.prepare<[string, string, number, number, string, number], KeyRow>(
      `SELECT key_id, created_at, body FROM kms_keys WHERE account_id = ? AND region = ?
       AND (created_at > ? OR (created_at = ? AND key_id > ?)) ORDER BY created_at, key_id LIMIT ?`,
    );
    this.replaceKey = db.prepare('UPDATE kms_keys SET body = ?, deletion_at = ? WHERE key_id = ?');
    this.replaceMaterial = db.prepare('UPDATE kms_keys SET material = ? WHERE key_id = ?');
    this.removeKey = db.prepare('DELETE FROM kms_keys WHERE key_id = ?');
    this.selectDue = db.prepare<[number], { key_id: string }>(
      'SELECT key_id FROM kms_keys WHERE deletion_at IS NOT NULL AND deletion_at <= ? ORDER BY deletion_at',
    );
    this.selectAll = db.prepare<[], { body: string }>('SELECT body FROM kms_keys WHERE deletion_at IS NULL');
    this.insertAlias = db.prepare(
      `INSERT INTO kms_aliases (account_id, region, name, target_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.selectAlias = db.prepare<[string, string, string], AliasRow>(
      'SELECT * FROM kms_aliases WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.selectAliases = db.prepare<[string, string], AliasRow>(
      'SELECT * FROM kms_aliases WHERE account_id = ? AND region = ? ORDER BY name',
    );
    this.retarget = db.prepare(
      'UPDATE kms_aliases SET target_key_id = ?, updated_at = ? WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.removeAlias = db.prepare('DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND name = ?');
  }

  private read(keyId: string): KmsKeyRecord | undefined {
    const row = this.selectKey.get(keyId);
    return row ? (JSON.parse(row.body, revive) as KmsKeyRecord) : undefined;
  }

  private seal(material: readonly KmsKeyMaterial[]): string {
    return this.sealer.seal(JSON.stringify(material.map((m) => ({ ...m, key: m.key.toString('base64') }))));
  }

  private unseal(sealed: string): KmsKeyMaterial[] {
    const list = JSON.parse(this.sealer.unseal(sealed)) as (Omit<KmsKeyMaterial, 'key' | 'createdAt'> & { key: string; createdAt: string })[];
    return list.map((m) => ({ ...m, key: Buffer.from(m.key, 'base64'), createdAt: new Date(m.createdAt) }));
  }

  async createKey(key: KmsKeyRecord, material: readonly KmsKeyMaterial[]): Promise<void> {
    try {
      this.insertKey.run(
        key.keyId,
        key.accountId,
        key.region,
        key.creationDate.getTime(),
        key.deletionDate?.getTime() ?? null,
        JSON.stringify(key),
        this.seal(material),
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AlreadyExistsError(`key ${key.keyId} exists`);
      throw e;
    }
  }

  async getKey(keyId: string): Promise<KmsKeyRecord | undefined> {
    return this.read(keyId);
  }

  async getMaterial(keyId: string): Promise<KmsKeyMaterial[] | undefined> {
    const row = this.selectMaterial.get(keyId);
    return row ? this.unseal(row.material) : undefined;
  }

  async listKeys(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<KmsKeyRecord>> {
    let at = -1;
    let id = '';
    if (opts.after !== undefined) {
      const [t, k] = decodeCursor(opts.after).split('|');
      at = Number(t);
      id = k ?? '';
    }
    const rows = this.selectPage.all(accountId, region, at, at, id, opts.limit + 1);
    const items = rows.slice(0, opts.limit).map((r) => JSON.parse(r.body, revive) as KmsKeyRecord);
    const last = rows[opts.limit - 1];
    return rows.length > opts.limit && last ? { items, next: encodeCursor(`${last.created_at}|${last.key_id}`) } : { items };
  }

  async updateKey(keyId: string, change: (k: KmsKeyRecord) => KmsKeyRecord): Promise<KmsKeyRecord | undefined> {
    return this.db.transaction(() => {
      const current = this.read(keyId);
      if (current === undefined) return undefined;
      const next = change(current);
      this.replaceKey.run(JSON.stringify(next), next.deletionDate?.getTime() ?? null, keyId);
      return next;
    })();
  }

  async addMaterial(keyId: string, material: KmsKeyMaterial, change: (k: KmsKeyRecord) => KmsKeyRecord): Promise<KmsKeyRecord | undefined> {
    return this.db.transaction(() => {
      const current = this.read(keyId);
      const sealed = this.selectMaterial.get(keyId);
      if (current === undefined || !sealed) return undefined;
      this.replaceMaterial.run(this.seal([...this.unseal(sealed.material), material]), keyId);
      const next = change(current);
      this.replaceKey.run(JSON.stringify(next), next.deletionDate?.getTime() ?? null, keyId);
      return next;
    })();
  }

  async deleteKey(keyId: string): Promise<boolean> {
    return this.removeKey.run(keyId).changes > 0;
  }

  async dueForDeletion(now: Date): Promise<string[]> {
    return this.selectDue.all(now.getTime()).map((r) => r.key_id);
  }

  async dueForRotation(now: Date): Promise<string[]> {
    // Few keys per emulator: a scan of the JSON bodies is simpler than another indexed column.
    return this.selectAll
      .all()
      .map((r) => JSON.parse(r.body, revive) as KmsKeyRecord)
      .filter((k) => k.rotation.enabled && k.rotation.nextRotationDate !== undefined && k.rotation.nextRotationDate <= now)
      .map((k) => k.keyId);
  }

  async createAlias(alias: KmsAliasRecord): Promise<void> {
    const changes = this.insertAlias.run(
      alias.accountId,
      alias.region,
      alias.name,
      alias.targetKeyId,
      alias.createdAt.getTime(),
      alias.updatedAt.getTime(),
    ).changes;
    if (changes === 0) throw new AlreadyExistsError(`alias ${alias.name} exists`);
  }

  async getAlias(accountId: string, region: string, name: string): Promise<KmsAliasRecord | undefined> {
    const row = this.selectAlias.get(accountId, region, name);
    return row ? toAlias(row) : undefined;
  }

  async listAliases(accountId: string, region: string): Promise<KmsAliasRecord[]> {
    return this.selectAliases.all(accountId, region).map(toAlias);
  }

  async updateAlias(accountId: string, region: string, name: string, targetKeyId: string, at: Date): Promise<boolean> {
    return this.retarget.run(targetKeyId, at.getTime(), accountId, region, name).changes > 0;
  }

  async deleteAlias(accountId: string, region: string, name: string): Promise<boolean> {
    return this.removeAlias.run(accountId, region, name).changes > 0;
  }
}
