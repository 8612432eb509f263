import type { Clock } from '../clock.js';
import {
  AlreadyExistsError,
  type MetaStore,
  type MutabilityExclusionFilter,
  type Page,
  type RepoKey,
  type RepositoryRecord,
  type TagRecord,
} from '../store/meta/meta-store.js';
import { ImageError } from './errors.js';

export interface RepositorySettings {
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters: MutabilityExclusionFilter[];
  scanOnPush: boolean;
  encryptionType: string;
  kmsKey?: string;
  tags: TagRecord[];
}

/** Counts what a repository holds, so deletion can refuse a non-empty one. */
export interface RepositoryContents {
  countImages(repo: RepositoryRecord): Promise<number>;
}

/** Repositories: the domain both the ECR API and the registry go through. */
export class Repositories {
  constructor(
    private readonly meta: MetaStore,
    private readonly clock: Clock,
    private readonly contents: RepositoryContents,
  ) {}

  async create(key: RepoKey, settings: RepositorySettings): Promise<RepositoryRecord> {
    try {
      return await this.meta.repositories.create({ ...key, createdAt: this.clock.now(), ...settings });
    } catch (e) {
      if (e instanceof AlreadyExistsError) {
        throw new ImageError('RepositoryAlreadyExists', { name: key.name, registryId: key.accountId });
      }
      throw e;
    }
  }

  find(key: RepoKey): Promise<RepositoryRecord | undefined> {
    return this.meta.repositories.get(key);
  }

  async get(key: RepoKey): Promise<RepositoryRecord> {
    const repo = await this.meta.repositories.get(key);
    if (!repo) throw new ImageError('RepositoryNotFound', { name: key.name, registryId: key.accountId });
    return repo;
  }

  list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<RepositoryRecord>> {
    return this.meta.repositories.list(accountId, region, opts);
  }

  /** Names in lexical order after `after` (the registry's catalog); `next` is the last name of the page. */
  listNames(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<string>> {
    return this.meta.repositories.listNames(accountId, region, opts);
  }

  async update(key: RepoKey, change: (r: RepositoryRecord) => RepositoryRecord): Promise<RepositoryRecord> {
    const repo = await this.meta.repositories.update(key, change);
    if (!repo) throw new ImageError('RepositoryNotFound', { name: key.name, registryId: key.accountId });
    return repo;
  }

  /** Deletes the repository; without `force` only when it holds no images. */
  async delete(key: RepoKey, force: boolean): Promise<RepositoryRecord> {
    const repo = await this.get(key);
    if (!force && (await this.contents.countImages(repo)) > 0) {
      throw new ImageError('RepositoryNotEmpty', { name: key.name, registryId: key.accountId });
    }
    const deleted = await this.meta.repositories.delete(key);
    if (!deleted) throw new ImageError('RepositoryNotFound', { name: key.name, registryId: key.accountId });
    return deleted;
  }
}
