import type { Sealer } from '../sealing.js';
import type { MetaStore } from './meta-store.js';
import { SqliteAccessKeys } from './sqlite/access-keys.js';
import { SqliteAccounts } from './sqlite/accounts.js';
import { openDb } from './sqlite/db.js';
import { SqliteImages, SqliteLayers, SqliteUploads } from './sqlite/images.js';
import { sqliteIam } from './sqlite/iam.js';
import { SqliteEcsRecords } from './sqlite/ecs.js';
import { SqliteLambdaFunctions } from './sqlite/lambda.js';
import { SqliteRepositories } from './sqlite/repositories.js';
import { SqliteResourcePolicies } from './sqlite/resource-policies.js';
import { SqliteSecrets, SqliteSettings } from './sqlite/settings.js';

/** The SQLite metadata store: `file` is ':memory:' or a path under the data dir. */
export function openSqliteMetaStore(file: string, sealer: Sealer): MetaStore {
  const db = openDb(file);
  const accessKeys = new SqliteAccessKeys(db, sealer);
  return {
    accounts: new SqliteAccounts(db, accessKeys),
    accessKeys,
    settings: new SqliteSettings(db),
    secrets: new SqliteSecrets(db, sealer),
    repositories: new SqliteRepositories(db),
    images: new SqliteImages(db),
    layers: new SqliteLayers(db),
    uploads: new SqliteUploads(db),
    iam: sqliteIam(db),
    resourcePolicies: new SqliteResourcePolicies(db),
    lambdaFunctions: new SqliteLambdaFunctions(db),
    ecs: new SqliteEcsRecords(db),
    async close() {
      db.close();
    },
  };
}
