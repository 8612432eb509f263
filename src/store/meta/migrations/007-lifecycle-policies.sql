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
