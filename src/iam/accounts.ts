import type { Clock } from '../clock.js';
import type { Ids } from '../ids.js';
import type { AccountRecord, MetaStore } from '../store/meta/meta-store.js';

export class AccountError extends Error {
  constructor(
    readonly kind: 'AlreadyExists' | 'NotFound' | 'Invalid' | 'Protected',
    message: string,
  ) {
    super(message);
  }
}

export interface CreatedAccount {
  account: AccountRecord;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Accounts and their root credentials (the admin API's domain). */
export class Accounts {
  constructor(
    private readonly meta: MetaStore,
    private readonly ids: Ids,
    private readonly clock: Clock,
    private readonly defaultAccountId: string,
  ) {}

  /** Makes sure the default account exists and its configured root key works. */
  async ensureDefault(rootAccessKeyId: string, rootSecretAccessKey: string): Promise<void> {
    const existing = await this.meta.accounts.get(this.defaultAccountId);
    const now = this.clock.now();
    const rootKey = {
      accessKeyId: rootAccessKeyId,
      secretAccessKey: rootSecretAccessKey,
      owner: { kind: 'root' } as const,
      status: 'Active' as const,
      createdAt: now,
    };
    if (!existing) {
      await this.meta.accounts.create({ accountId: this.defaultAccountId, name: 'default', createdAt: now }, rootKey);
      return;
    }
    const key = await this.meta.accessKeys.get(rootAccessKeyId);
    if (!key || key.secretAccessKey !== rootSecretAccessKey || key.accountId !== this.defaultAccountId) {
      await this.meta.accessKeys.put({ ...rootKey, accountId: this.defaultAccountId });
    }
  }

  async create(opts: { accountId?: string; name?: string; email?: string }): Promise<CreatedAccount> {
    const accountId = opts.accountId ?? (await this.freeAccountId());
    if (!/^\d{12}$/.test(accountId)) throw new AccountError('Invalid', 'accountId must be 12 digits');
    if (await this.meta.accounts.get(accountId)) {
      throw new AccountError('AlreadyExists', `account ${accountId} already exists`);
    }
    const now = this.clock.now();
    const account: AccountRecord = {
      accountId,
      name: opts.name ?? `account-${accountId}`,
      ...(opts.email ? { email: opts.email } : {}),
      createdAt: now,
    };
    const accessKeyId = this.ids.accessKeyId('AKIA');
    const secretAccessKey = this.ids.secretAccessKey();
    await this.meta.accounts.create(account, {
      accessKeyId,
      secretAccessKey,
      owner: { kind: 'root' },
      status: 'Active',
      createdAt: now,
    });
    return { account, accessKeyId, secretAccessKey };
  }

  async get(accountId: string): Promise<{ account: AccountRecord; rootAccessKeyIds: string[] } | undefined> {
    const account = await this.meta.accounts.get(accountId);
    if (!account) return undefined;
    const keys = await this.meta.accessKeys.listByAccount(accountId);
    return { account, rootAccessKeyIds: keys.filter((k) => k.owner.kind === 'root').map((k) => k.accessKeyId) };
  }

  list(): Promise<AccountRecord[]> {
    return this.meta.accounts.list();
  }

  async delete(accountId: string): Promise<void> {
    if (accountId === this.defaultAccountId) {
      throw new AccountError('Protected', 'the default account cannot be deleted');
    }
    if (!(await this.meta.accounts.delete(accountId))) {
      throw new AccountError('NotFound', `account ${accountId} does not exist`);
    }
  }

  private async freeAccountId(): Promise<string> {
    for (;;) {
      const n = this.ids.bytes(6).readUIntBE(0, 6) % 1e12;
      const id = String(n).padStart(12, '0');
      if (!(await this.meta.accounts.get(id))) return id;
    }
  }
}
