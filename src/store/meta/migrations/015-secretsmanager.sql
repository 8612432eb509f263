-- Secrets Manager secrets of each account and region. The ARN (name + '-' + 6 random characters)
-- is the key; the name is unique in its account and region, including while the secret is
-- scheduled for deletion. The body is the secret's metadata, tags and versions as JSON; each
-- version's value is there only as KMS ciphertext (envelope-encrypted under the secret's KMS key),
-- so nothing plain is ever written.
CREATE TABLE sm_secrets (
  arn          TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region       TEXT NOT NULL,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  deletion_at  INTEGER,                  -- set while scheduled for deletion: when it goes
  body         TEXT NOT NULL
);
CREATE UNIQUE INDEX sm_secrets_by_name ON sm_secrets (account_id, region, name);
CREATE INDEX sm_secrets_by_deletion ON sm_secrets (deletion_at) WHERE deletion_at IS NOT NULL;
