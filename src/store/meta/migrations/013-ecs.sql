-- ECS: clusters, task definitions (one row per family:revision), tasks and services, each one
-- JSON record keyed by (account, region, kind, name). Records are small and read and changed
-- whole. Deleting the account deletes its ECS resources.
CREATE TABLE ecs_records (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  body        TEXT NOT NULL,
  PRIMARY KEY (account_id, region, kind, name)
) WITHOUT ROWID;
