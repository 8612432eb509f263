-- The image domain: images (manifests), tags, index children, layer links and upload sessions.
-- Everything hangs off a repository and goes with it (ON DELETE CASCADE); blob bytes live in
-- the blob store, shared by the whole registry, and are referenced here by digest.

-- One manifest digest in one repository, with the bytes exactly as pushed.
CREATE TABLE images (
  repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest          TEXT NOT NULL,
  media_type      TEXT NOT NULL,
  artifact_type   TEXT,                    -- artifactType, else config.mediaType (ECR's artifactMediaType)
  subject         TEXT,                    -- digest of the OCI 1.1 subject, for the referrers API
  annotations     TEXT,                    -- JSON object, or NULL
  manifest        BLOB NOT NULL,
  size            INTEGER NOT NULL,        -- ECR's imageSizeInBytes
  pushed_at       INTEGER NOT NULL,
  last_pulled_at  INTEGER,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX images_by_subject ON images(repository_id, subject) WHERE subject IS NOT NULL;
CREATE INDEX images_by_pushed_at ON images(repository_id, pushed_at);

-- A tag names exactly one image of its repository; moving it is one UPDATE.
CREATE TABLE image_tags (
  repository_id  INTEGER NOT NULL,
  tag            TEXT NOT NULL,
  digest         TEXT NOT NULL,
  PRIMARY KEY (repository_id, tag),
  FOREIGN KEY (repository_id, digest) REFERENCES images(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX image_tags_by_digest ON image_tags(repository_id, digest);

-- The manifests an index (manifest list) lists. The child must exist when the index is pushed
-- and cannot be deleted while an index lists it (checked by the domain; the foreign key only
-- guards against dangling rows).
CREATE TABLE image_children (
  repository_id  INTEGER NOT NULL,
  parent         TEXT NOT NULL,
  child          TEXT NOT NULL,
  PRIMARY KEY (repository_id, parent, child),
  FOREIGN KEY (repository_id, parent) REFERENCES images(repository_id, digest) ON DELETE CASCADE,
  FOREIGN KEY (repository_id, child) REFERENCES images(repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX image_children_by_child ON image_children(repository_id, child);

-- Blobs a repository may serve: uploaded or mounted into it. Written only after the blob is
-- durably in the blob store.
CREATE TABLE layers (
  repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest         TEXT NOT NULL,
  size           INTEGER NOT NULL,
  media_type     TEXT,                     -- learned from the first manifest that references it
  linked_at      INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;

-- Upload sessions (registry POST/PATCH/PUT and the API's Initiate/UploadLayerPart/Complete).
-- The bytes are in the blob store's session of the same id.
CREATE TABLE uploads (
  id              TEXT PRIMARY KEY,
  repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  started_at      INTEGER NOT NULL,
  parts           INTEGER NOT NULL DEFAULT 0,
  last_part_size  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX uploads_by_repository ON uploads(repository_id);
