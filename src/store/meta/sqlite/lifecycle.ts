import type { LifecyclePolicyRecord, LifecyclePreviewRecord, LifecycleRecords, RepoKey } from '../meta-store.js';
import type { Db } from './db.js';
import { fromMillis } from './db.js';

interface PolicyRow {
  repository_id: number;
  account_id: string;
  region: string;
  name: string;
  policy_text: string;
  last_evaluated_at: number | null;
}

interface PreviewRow {
  policy_text: string;
  status: string;
  started_at: number;
  results: string;
}

const POLICY_COLUMNS = 'p.repository_id, r.account_id, r.region, r.name, p.policy_text, p.last_evaluated_at';

/** Lifecycle policies and previews: a row of each per repository, cascading with it. */
export class SqliteLifecycle implements LifecycleRecords {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      repoId: db.prepare<[string, string, string], { id: number }>('SELECT id FROM repositories WHERE account_id = ? AND region = ? AND name = ?'),
      get: db.prepare<[string, string, string], PolicyRow>(
        `SELECT ${POLICY_COLUMNS} FROM lifecycle_policies p JOIN repositories r ON r.id = p.repository_id
         WHERE r.account_id = ? AND r.region = ? AND r.name = ?`,
      ),
      list: db.prepare<[], PolicyRow>(
        `SELECT ${POLICY_COLUMNS} FROM lifecycle_policies p JOIN repositories r ON r.id = p.repository_id ORDER BY p.repository_id`,
      ),
      upsert: db.prepare(
        `INSERT INTO lifecycle_policies (repository_id, policy_text) VALUES (?, ?)
         ON CONFLICT(repository_id) DO UPDATE SET policy_text = excluded.policy_text`,
      ),
      remove: db.prepare('DELETE FROM lifecycle_policies WHERE repository_id = ?'),
      evaluated: db.prepare('UPDATE lifecycle_policies SET last_evaluated_at = ? WHERE repository_id = ?'),
      getPreview: db.prepare<[number], PreviewRow>('SELECT policy_text, status, started_at, results FROM lifecycle_previews WHERE repository_id = ?'),
      putPreview: db.prepare(
        `INSERT INTO lifecycle_previews (repository_id, policy_text, status, started_at, results) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(repository_id) DO UPDATE SET policy_text = excluded.policy_text, status = excluded.status,
           started_at = excluded.started_at, results = excluded.results`,
      ),
      edges: db.prepare<[number], { parent: string; child: string }>('SELECT parent, child FROM image_children WHERE repository_id = ?'),
    };
  }

  async get(key: RepoKey): Promise<LifecyclePolicyRecord | undefined> {
    const row = this.s.get.get(key.accountId, key.region, key.name);
    return row && toRecord(row);
  }

  async put(key: RepoKey, policyText: string): Promise<boolean> {
    return this.db.transaction(() => {
      const repo = this.s.repoId.get(key.accountId, key.region, key.name);
      if (!repo) return false;
      this.s.upsert.run(repo.id, policyText);
      return true;
    })();
  }

  async delete(key: RepoKey): Promise<LifecyclePolicyRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.s.get.get(key.accountId, key.region, key.name);
      if (row) this.s.remove.run(row.repository_id);
      return row && toRecord(row);
    })();
  }

  async recordEvaluation(repositoryId: number, at: Date): Promise<void> {
    this.s.evaluated.run(at.getTime(), repositoryId);
  }

  async list(): Promise<LifecyclePolicyRecord[]> {
    return this.s.list.all().map(toRecord);
  }

  async getPreview(key: RepoKey): Promise<LifecyclePreviewRecord | undefined> {
    const repo = this.s.repoId.get(key.accountId, key.region, key.name);
    const row = repo && this.s.getPreview.get(repo.id);
    if (!row) return undefined;
    return {
      policyText: row.policy_text,
      status: row.status as LifecyclePreviewRecord['status'],
      startedAt: fromMillis(row.started_at),
      results: row.results,
    };
  }

  async putPreview(key: RepoKey, preview: LifecyclePreviewRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const repo = this.s.repoId.get(key.accountId, key.region, key.name);
      if (!repo) return false;
      this.s.putPreview.run(repo.id, preview.policyText, preview.status, preview.startedAt.getTime(), preview.results);
      return true;
    })();
  }

  async indexEdges(repositoryId: number): Promise<{ parent: string; child: string }[]> {
    return this.s.edges.all(repositoryId);
  }
}

function toRecord(row: PolicyRow): LifecyclePolicyRecord {
  return {
    repositoryId: row.repository_id,
    accountId: row.account_id,
    region: row.region,
    name: row.name,
    policyText: row.policy_text,
    ...(row.last_evaluated_at !== null ? { lastEvaluatedAt: fromMillis(row.last_evaluated_at) } : {}),
  };
}
