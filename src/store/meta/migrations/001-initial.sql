-- Accounts, credentials, settings, secrets and ECR repositories.
CREATE TABLE accounts (
  account_id   TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  email        TEXT,
  created_at   INTEGER NOT NULL
);

-- Every access key, whatever principal it belongs to (the account root now; IAM users and
-- STS sessions later). The secret is sealed with the master key.
CREATE TABLE access_keys (
  access_key_id  TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  secret_sealed  TEXT NOT NULL,
  principal      TEXT NOT NULL,             -- JSON: {"kind":"root"} | {"kind":"user","userName":…} | …
  session_token  TEXT,
  status         TEXT NOT NULL DEFAULT 'Active',
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER
);
CREATE INDEX access_keys_by_account ON access_keys(account_id);

-- Account and registry settings per account and region (PutAccountSetting, registry configs).
CREATE TABLE settings (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region      TEXT NOT NULL,
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  PRIMARY KEY (account_id, region, name)
);

-- Process-wide secret material (e.g. the registry token signing key), sealed with the master key.
CREATE TABLE secrets (
  name    TEXT PRIMARY KEY,
  sealed  TEXT NOT NULL
);

CREATE TABLE repositories (
  id                      INTEGER PRIMARY KEY,
  account_id              TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region                  TEXT NOT NULL,
  name                    TEXT NOT NULL,
  created_at              INTEGER NOT NULL,
  tag_mutability          TEXT NOT NULL,
  mutability_exclusions   TEXT NOT NULL DEFAULT '[]',
  scan_on_push            INTEGER NOT NULL DEFAULT 0,
  encryption_type         TEXT NOT NULL,
  kms_key                 TEXT,
  tags                    TEXT NOT NULL DEFAULT '[]',
  UNIQUE (account_id, region, name)
);
