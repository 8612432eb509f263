-- IAM entities (users, roles, groups, customer managed policies) of each account. IAM is global:
-- no region. Names are unique per account and kind regardless of case ("User names are not
-- distinguished by case" — IAM User Guide, reference_iam-quotas.html), hence name_key = lower(name).
-- The body is the entity as JSON (its inline policies, attachments, group memberships, tags and
-- policy versions travel with it: IAM reads and writes them as one unit).
CREATE TABLE iam_entities (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,               -- user | role | group | policy
  name_key    TEXT NOT NULL,
  body        TEXT NOT NULL,
  PRIMARY KEY (account_id, kind, name_key)
);

-- ECR repository policies live and die with their repository.
CREATE TABLE repository_policies (
  repository_id  INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
  policy_text    TEXT NOT NULL
);

-- ECR registry policies, one per account and region.
CREATE TABLE registry_policies (
  account_id   TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region       TEXT NOT NULL,
  policy_text  TEXT NOT NULL,
  PRIMARY KEY (account_id, region)
);
