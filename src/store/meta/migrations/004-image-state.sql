-- What the ECR API keeps about an image beyond its push: storage class (archive / restore),
-- basic-scan results, the blobs each image references, and the part sizes of API uploads.

-- Storage class: STANDARD or ARCHIVE. A restore sets storage_class back to STANDARD and
-- restored_at to when it completes; until then the image is ACTIVATING — source: ECR user guide,
-- "Restoring an image" (restores take up to 20 minutes; the image is not pullable meanwhile).
ALTER TABLE images ADD COLUMN storage_class TEXT NOT NULL DEFAULT 'STANDARD';
ALTER TABLE images ADD COLUMN last_archived_at INTEGER;
ALTER TABLE images ADD COLUMN restored_at INTEGER;

-- The latest basic scan: COMPLETE or UNSUPPORTED_IMAGE; NULL when the image was never scanned.
ALTER TABLE images ADD COLUMN scan_status TEXT;
ALTER TABLE images ADD COLUMN scan_started_at INTEGER;
ALTER TABLE images ADD COLUMN scan_completed_at INTEGER;

-- The blobs (config and layers) each image's manifest references. GetDownloadUrlForLayer serves
-- only layers an image references, and a layer of archived images only is ARCHIVED.
CREATE TABLE image_blobs (
  repository_id  INTEGER NOT NULL,
  digest         TEXT NOT NULL,            -- the image
  blob           TEXT NOT NULL,            -- a blob its manifest references
  PRIMARY KEY (repository_id, digest, blob),
  FOREIGN KEY (repository_id, digest) REFERENCES images(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX image_blobs_by_blob ON image_blobs(repository_id, blob);

-- Images stored before this migration: their manifests are validated JSON.
INSERT OR IGNORE INTO image_blobs (repository_id, digest, blob)
  SELECT repository_id, digest, json_extract(CAST(manifest AS TEXT), '$.config.digest') FROM images
  WHERE json_valid(CAST(manifest AS TEXT)) AND json_type(CAST(manifest AS TEXT), '$.config.digest') = 'text';
INSERT OR IGNORE INTO image_blobs (repository_id, digest, blob)
  SELECT i.repository_id, i.digest, json_extract(l.value, '$.digest')
  FROM images i, json_each(CASE WHEN json_valid(CAST(i.manifest AS TEXT)) THEN CAST(i.manifest AS TEXT) ELSE '{}' END, '$.layers') l
  WHERE json_type(l.value, '$.digest') = 'text';
INSERT OR IGNORE INTO image_blobs (repository_id, digest, blob)
  SELECT i.repository_id, i.digest, json_extract(l.value, '$.blobSum')
  FROM images i, json_each(CASE WHEN json_valid(CAST(i.manifest AS TEXT)) THEN CAST(i.manifest AS TEXT) ELSE '{}' END, '$.fsLayers') l
  WHERE json_type(l.value, '$.blobSum') = 'text';

-- The smallest part of an upload session but its last (the ECR API's CompleteLayerUpload refuses
-- a session with a part but the last under 5 MiB).
ALTER TABLE uploads ADD COLUMN smallest_part INTEGER;
