-- Blob garbage collection. The blob store is shared by every account and region; this table is
-- what the metadata knows of each blob in it: its size and when a push last needed it (commit,
-- layer link, mount, a HEAD or BatchCheckLayerAvailability that answered "present"). The sweep
-- deletes a blob only when no image of any repository references it and it was not touched for
-- the grace period; it removes the row and every layer link to the blob in one transaction before
-- it removes the bytes, and a layer link can only be made while the row exists, so a push racing
-- the sweep fails with "blob unknown" instead of producing an image with missing bytes.
CREATE TABLE blobs (
  digest      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  touched_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_by_touched_at ON blobs(touched_at);

-- "Is this blob referenced by any image anywhere?" and "which repositories link it?" are asked by
-- digest alone, across repositories.
CREATE INDEX image_blobs_by_blob_only ON image_blobs(blob);
CREATE INDEX images_by_digest_only ON images(digest);
CREATE INDEX images_by_subject_only ON images(subject) WHERE subject IS NOT NULL;
CREATE INDEX layers_by_digest ON layers(digest);

-- Blobs linked before this migration: touched when they were last linked.
INSERT OR IGNORE INTO blobs (digest, size, touched_at)
  SELECT digest, max(size), max(linked_at) FROM layers GROUP BY digest;
