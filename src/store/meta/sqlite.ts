import type { Sealer } from '../sealing.js';
import type { MetaStore } from './meta-store.js';
import { SqliteAccessKeys } from './sqlite/access-keys.js';
import { SqliteAccounts } from './sqlite/accounts.js';
import { SqliteBlobs } from './sqlite/blobs.js';
import { openDb, type Db } from './sqlite/db.js';
import { SqliteLifecycle } from './sqlite/lifecycle.js';
import { SqliteKms } from './sqlite/kms.js';
import { SqliteImages, SqliteLayers, SqliteUploads } from './sqlite/images.js';
import { sqliteIam } from './sqlite/iam.js';
import { SqliteEcsRecords } from './sqlite/ecs.js';
import { SqliteLambdaFunctions } from './sqlite/lambda.js';
import { SqliteRepositories } from './sqlite/repositories.js';
import { SqliteResourcePolicies } from './sqlite/resource-policies.js';
import { SqliteSecrets, SqliteSettings } from './sqlite/settings.js';
import { SqliteSecretsManager } from './sqlite/secrets-manager.js';
import { SqliteReplications } from './sqlite/replications.js';
import { SqliteSigning } from './sqlite/signing.js';
import { SqlitePullThroughCache } from './sqlite/pull-through-cache.js';
import { SqliteCreationTemplates, SqlitePullTimeExclusions } from './sqlite/registry-templates.js';

/** The SQLite metadata store: `file` is ':memory:' or a path under the data dir. */
export function openSqliteMetaStore(file: string, sealer: Sealer): MetaStore {
  const db = openDb(file);
  resealLegacy(db, sealer);
  const accessKeys = new SqliteAccessKeys(db, sealer);
  return {
    accounts: new SqliteAccounts(db, accessKeys),
    accessKeys,
    settings: new SqliteSettings(db),
    secrets: new SqliteSecrets(db, sealer),
    repositories: new SqliteRepositories(db),
    images: new SqliteImages(db),
    layers: new SqliteLayers(db),
    blobs: new SqliteBlobs(db),
    uploads: new SqliteUploads(db),
    iam: sqliteIam(db),
    resourcePolicies: new SqliteResourcePolicies(db),
    pullTimeExclusions: new SqlitePullTimeExclusions(db),
    creationTemplates: new SqliteCreationTemplates(db),
    pullThroughCache: new SqlitePullThroughCache(db),
    lifecycle: new SqliteLifecycle(db),
    kms: new SqliteKms(db, sealer),
    secretsManager: new SqliteSecretsManager(db),
    lambdaFunctions: new SqliteLambdaFunctions(db),
    replications: new SqliteReplications(db),
    signing: new SqliteSigning(db, sealer),
    ecs: new SqliteEcsRecords(db),
    async close() {
      db.close();
    },
  };
}

/**
 * Seals again, under the current derivation, what an older simfra sealed under the legacy one
 * (see Sealer): once, when the store opens, in one transaction.
 */
function resealLegacy(db: Db, sealer: Sealer): void {
  const tables = [
    { table: 'secrets', key: 'name', column: 'sealed' },
    { table: 'access_keys', key: 'access_key_id', column: 'secret_sealed' },
    { table: 'signing_keys', key: "account_id || '/' || name", column: 'key_sealed' },
  ] as const;
  db.transaction(() => {
    for (const { table, key, column } of tables) {
      const rows = db.prepare<[], { id: string; sealed: string }>(`SELECT ${key} AS id, ${column} AS sealed FROM ${table}`).all();
      const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
      for (const row of rows) if (sealer.isLegacy(row.sealed)) update.run(sealer.seal(sealer.unseal(row.sealed)), row.id);
    }
  })();
}
