-- Registry-level ECR settings of issue 13; they go with their account.

-- Pull-time update exclusions: IAM users and roles whose pulls leave lastRecordedPullTime alone
-- (up to 100 per registry — source: ECR user guide, "Pull-time update exclusions").
CREATE TABLE pull_time_update_exclusions (
  account_id     TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region         TEXT NOT NULL,
  principal_arn  TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, principal_arn)
) WITHOUT ROWID;

-- Repository creation templates: applied when ECR creates a repository for the user (create on
-- push, replication, pull-through cache). `template` is the settings as JSON (the API's shape).
CREATE TABLE repository_creation_templates (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region      TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  template    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, prefix)
) WITHOUT ROWID;
