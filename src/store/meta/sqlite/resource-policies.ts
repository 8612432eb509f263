import type { RepoKey, ResourcePolicyRecords } from '../meta-store.js';
import type { Db } from './db.js';

/** Repository policies (a row per repository, cascading with it) and registry policies. */
export class SqliteResourcePolicies implements ResourcePolicyRecords {
  private readonly repoSelect;
  private readonly repoId;
  private readonly repoUpsert;
  private readonly repoDelete;
  private readonly registrySelect;
  private readonly registryUpsert;
  private readonly registryDelete;

  constructor(private readonly db: Db) {
    this.repoSelect = db.prepare<[string, string, string], { policy_text: string }>(
      `SELECT p.policy_text FROM repository_policies p JOIN repositories r ON r.id = p.repository_id
       WHERE r.account_id = ? AND r.region = ? AND r.name = ?`,
    );
    this.repoId = db.prepare<[string, string, string], { id: number }>(
      'SELECT id FROM repositories WHERE account_id = ? AND region = ? AND name = ?',
    );
    this.repoUpsert = db.prepare(
      `INSERT INTO repository_policies (repository_id, policy_text) VALUES (?, ?)
       ON CONFLICT(repository_id) DO UPDATE SET policy_text = excluded.policy_text`,
    );
    this.repoDelete = db.prepare('DELETE FROM repository_policies WHERE repository_id = ?');
    this.registrySelect = db.prepare<[string, string], { policy_text: string }>(
      'SELECT policy_text FROM registry_policies WHERE account_id = ? AND region = ?',
    );
    this.registryUpsert = db.prepare(
      `INSERT INTO registry_policies (account_id, region, policy_text) VALUES (?, ?, ?)
       ON CONFLICT(account_id, region) DO UPDATE SET policy_text = excluded.policy_text`,
    );
    this.registryDelete = db.prepare('DELETE FROM registry_policies WHERE account_id = ? AND region = ?');
  }

  async getRepositoryPolicy(key: RepoKey): Promise<string | undefined> {
    return this.repoSelect.get(key.accountId, key.region, key.name)?.policy_text;
  }

  async putRepositoryPolicy(key: RepoKey, policyText: string): Promise<boolean> {
    return this.db.transaction(() => {
      const repo = this.repoId.get(key.accountId, key.region, key.name);
      if (!repo) return false;
      this.repoUpsert.run(repo.id, policyText);
      return true;
    })();
  }

  async deleteRepositoryPolicy(key: RepoKey): Promise<string | undefined> {
    return this.db.transaction(() => {
      const repo = this.repoId.get(key.accountId, key.region, key.name);
      const text = this.repoSelect.get(key.accountId, key.region, key.name)?.policy_text;
      if (repo && text !== undefined) this.repoDelete.run(repo.id);
      return text;
    })();
  }

  async getRegistryPolicy(accountId: string, region: string): Promise<string | undefined> {
    return this.registrySelect.get(accountId, region)?.policy_text;
  }

  async putRegistryPolicy(accountId: string, region: string, policyText: string): Promise<void> {
    this.registryUpsert.run(accountId, region, policyText);
  }

  async deleteRegistryPolicy(accountId: string, region: string): Promise<string | undefined> {
    return this.db.transaction(() => {
      const text = this.registrySelect.get(accountId, region)?.policy_text;
      if (text !== undefined) this.registryDelete.run(accountId, region);
      return text;
    })();
  }
}
