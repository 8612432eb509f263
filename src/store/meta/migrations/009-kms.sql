-- KMS keys and aliases of each account and region. Key ids are UUIDs (or mrk-<hex> for
-- multi-Region keys), unique across accounts, so a ciphertext blob that names its key id finds it
-- without the caller saying where. The body is the key's metadata, policy and tags as JSON; the
-- key material (every version, for rotation) is sealed with the master key (store/sealing.ts).
CREATE TABLE kms_keys (
  key_id       TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  deletion_at  INTEGER,                  -- set while PendingDeletion
  body         TEXT NOT NULL,
  material     TEXT NOT NULL             -- sealed JSON: [{ "id": …, "key": base64 }, …], oldest first
);
CREATE INDEX kms_keys_by_account ON kms_keys (account_id, region, created_at, key_id);
CREATE INDEX kms_keys_by_deletion ON kms_keys (deletion_at) WHERE deletion_at IS NOT NULL;

-- Aliases name one key each; deleting a key deletes its aliases (as KMS does when a key is deleted).
CREATE TABLE kms_aliases (
  account_id     TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region         TEXT NOT NULL,
  name           TEXT NOT NULL,          -- alias/…
  target_key_id  TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, name)
);
CREATE INDEX kms_aliases_by_key ON kms_aliases (target_key_id);
