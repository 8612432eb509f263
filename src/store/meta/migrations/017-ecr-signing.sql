-- ECR managed signing (issue 14). The registry's signing configuration is a setting (like the
-- replication configuration); this migration adds what signing does with it.
--
-- One row per (image, signing profile): both the queue of pending signatures (status IN_PROGRESS,
-- so a restart picks up what a crash left) and what DescribeImageSigningStatus answers. A push of
-- the image again sets it back to IN_PROGRESS. Deleting the account drops them.
CREATE TABLE ecr_signing_statuses (
  account_id           TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region               TEXT NOT NULL,
  repository_name      TEXT NOT NULL,
  image_digest         TEXT NOT NULL,
  signing_profile_arn  TEXT NOT NULL,
  status               TEXT NOT NULL,
  failure_code         TEXT,
  failure_reason       TEXT,
  updated_at           INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, repository_name, image_digest, signing_profile_arn)
) WITHOUT ROWID;

CREATE INDEX ecr_signing_statuses_pending ON ecr_signing_statuses (status, updated_at);

-- Signing keys: per account one root CA (name 'root'), per signing profile ARN one leaf (name =
-- the ARN), each an ECDSA P-384 key sealed under the master key with its PEM certificate.
CREATE TABLE signing_keys (
  account_id   TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  certificate  TEXT NOT NULL,
  key_sealed   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
