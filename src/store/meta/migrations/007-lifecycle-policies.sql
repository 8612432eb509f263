-- ECR lifecycle policies: one per repository (gone with it), when it was last evaluated, and the
-- latest lifecycle policy preview of the repository (the policy text it used and its results).

CREATE TABLE lifecycle_policies (
  repository_id      INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  policy_text        TEXT NOT NULL,
  last_evaluated_at  INTEGER                -- NULL until the first evaluation
);

CREATE TABLE lifecycle_previews (
  repository_id  INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  policy_text    TEXT NOT NULL,
  status         TEXT NOT NULL,           -- IN_PROGRESS | COMPLETE | FAILED
  started_at     INTEGER NOT NULL,
  results        TEXT NOT NULL            -- JSON, written by the lifecycle domain
);

-- The referrers of a subject in push order, as deleting an image looks them up (they go with
-- it). The partial images_by_subject index of 002 lost to images_by_pushed_at (which serves the
-- ORDER BY), so every deletion scanned its whole repository: O(n²) for an expiry of thousands.
CREATE INDEX images_by_subject_pushed ON images(repository_id, subject, pushed_at, digest);
