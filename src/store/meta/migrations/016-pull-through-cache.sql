-- ECR pull-through cache (issue 14): the registry's rules, and when each cached tag was last
-- checked against its upstream (ECR re-checks a tag at least once every 24 hours).
CREATE TABLE pull_through_cache_rules (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region      TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  rule        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, prefix)
) WITHOUT ROWID;

-- One row per cached (repository, tag): the digest the upstream named when last checked.
CREATE TABLE pull_through_cache_tags (
  account_id       TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region           TEXT NOT NULL,
  repository_name  TEXT NOT NULL,
  tag              TEXT NOT NULL,
  digest           TEXT NOT NULL,
  checked_at       INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, repository_name, tag)
) WITHOUT ROWID;
