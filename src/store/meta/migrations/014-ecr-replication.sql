-- ECR replication (issue 13 item 1): one row per (source image, destination). It is both the
-- queue of pending copies (status IN_PROGRESS) and what DescribeImageReplicationStatus answers.
-- A push of the image again sets it back to IN_PROGRESS. Deleting the source account drops them.
CREATE TABLE ecr_replications (
  account_id        TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region            TEXT NOT NULL,
  repository_name   TEXT NOT NULL,
  image_digest      TEXT NOT NULL,
  dest_region       TEXT NOT NULL,
  dest_registry_id  TEXT NOT NULL,
  status            TEXT NOT NULL,
  failure_code      TEXT,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, repository_name, image_digest, dest_region, dest_registry_id)
) WITHOUT ROWID;

CREATE INDEX ecr_replications_pending ON ecr_replications (status, updated_at);
