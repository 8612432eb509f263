/**
 * The metadata store: small, intent-named, async, atomic record sets. Each key names its
 * account and region. sqlite.ts implements it today (':memory:' or a file); a shared
 * PostgreSQL one can follow with the same signatures. No transaction handle leaks out.
 */
export interface RepoKey {
  accountId: string;
  region: string;
  name: string;
}

export interface AccountRecord {
  accountId: string;
  name: string;
  email?: string;
  createdAt: Date;
}

/** What an access key stands for; IAM adds user and role-session forms. */
export type KeyOwner =
  | { kind: 'root' }
  | { kind: 'user'; userName: string }
  | { kind: 'assumed-role'; roleName: string; sessionName: string };

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  secretAccessKey: string;
  owner: KeyOwner;
  sessionToken?: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
  expiresAt?: Date;
}

export interface TagRecord {
  Key: string;
  Value: string;
}

export interface MutabilityExclusionFilter {
  filterType: string;
  filter: string;
}

export interface RepositoryRecord extends RepoKey {
  id: number;
  createdAt: Date;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters: MutabilityExclusionFilter[];
  scanOnPush: boolean;
  encryptionType: string;
  kmsKey?: string;
  tags: TagRecord[];
}

export type NewRepository = Omit<RepositoryRecord, 'id'>;

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the next page, absent on the last one. */
  next?: string;
}

export class AlreadyExistsError extends Error {}

export interface AccountRecords {
  create(account: AccountRecord, rootKey: Omit<AccessKeyRecord, 'accountId'>): Promise<void>;
  get(accountId: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  /** Removes the account and everything it owns. */
  delete(accountId: string): Promise<boolean>;
}

export interface AccessKeyRecords {
  put(key: AccessKeyRecord): Promise<void>;
  get(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listByAccount(accountId: string): Promise<AccessKeyRecord[]>;
  delete(accessKeyId: string): Promise<boolean>;
  /** Synchronous read for the request hot path (SigV4 verification). */
  getSync(accessKeyId: string): AccessKeyRecord | undefined;
}

export interface SettingRecords {
  get(accountId: string, region: string, name: string): Promise<string | undefined>;
  put(accountId: string, region: string, name: string, value: string): Promise<void>;
  delete(accountId: string, region: string, name: string): Promise<boolean>;
}

export interface SecretRecords {
  /** Returns the stored secret, creating it with `make()` the first time (atomically). */
  getOrCreate(name: string, make: () => string): Promise<string>;
}

export interface RepositoryRecords {
  /** Throws AlreadyExistsError when the name is taken in that account and region. */
  create(repo: NewRepository): Promise<RepositoryRecord>;
  get(key: RepoKey): Promise<RepositoryRecord | undefined>;
  list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<RepositoryRecord>>;
  /** Applies `change` to the stored record in one transaction; returns the new record. */
  update(key: RepoKey, change: (r: RepositoryRecord) => RepositoryRecord): Promise<RepositoryRecord | undefined>;
  /** Removes the repository and, with it, everything stored under it. */
  delete(key: RepoKey): Promise<RepositoryRecord | undefined>;
}

export interface MetaStore {
  accounts: AccountRecords;
  accessKeys: AccessKeyRecords;
  settings: SettingRecords;
  secrets: SecretRecords;
  repositories: RepositoryRecords;
  close(): Promise<void>;
}
