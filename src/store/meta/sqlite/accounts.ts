import type { AccessKeyRecord, AccountRecord, AccountRecords } from '../meta-store.js';
import type { Db } from './db.js';
import { fromMillis } from './db.js';
import type { SqliteAccessKeys } from './access-keys.js';

interface AccountRow {
  account_id: string;
  name: string;
  email: string | null;
  created_at: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({
  accountId: r.account_id,
  name: r.name,
  ...(r.email ? { email: r.email } : {}),
  createdAt: fromMillis(r.created_at),
});

export class SqliteAccounts implements AccountRecords {
  private readonly insert;
  private readonly byId;
  private readonly all;
  private readonly remove;

  constructor(
    private readonly db: Db,
    private readonly keys: SqliteAccessKeys,
  ) {
    this.insert = db.prepare('INSERT INTO accounts (account_id, name, email, created_at) VALUES (?, ?, ?, ?)');
    this.byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE account_id = ?');
    this.all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, account_id');
    this.remove = db.prepare('DELETE FROM accounts WHERE account_id = ?');
  }

  async create(account: AccountRecord, rootKey: Omit<AccessKeyRecord, 'accountId'>): Promise<void> {
    this.db.transaction(() => {
      this.insert.run(account.accountId, account.name, account.email ?? null, account.createdAt.getTime());
      this.keys.putSync({ ...rootKey, accountId: account.accountId });
    })();
  }

  async get(accountId: string): Promise<AccountRecord | undefined> {
    const row = this.byId.get(accountId);
    return row && toAccount(row);
  }

  async list(): Promise<AccountRecord[]> {
    return this.all.all().map(toAccount);
  }

  async delete(accountId: string): Promise<boolean> {
    const ids = (await this.keys.listByAccount(accountId)).map((k) => k.accessKeyId);
    const changed = this.remove.run(accountId).changes > 0;
    for (const id of ids) this.keys.evict(id);
    return changed;
  }
}
