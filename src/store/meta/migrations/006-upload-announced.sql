-- Whether a client was told of the upload session. A single-request upload (the registry's
-- POST ?digest=) streams into a session no client learns the id of, so if the process dies
-- mid-body nobody can resume it; such sessions (announced = 0) are removed at start.
ALTER TABLE uploads ADD COLUMN announced INTEGER NOT NULL DEFAULT 1;
CREATE INDEX uploads_unannounced ON uploads(announced) WHERE announced = 0;
