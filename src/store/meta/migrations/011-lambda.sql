-- Lambda functions: one row per function (account, region, name), the record as JSON — its
-- $LATEST configuration, published versions, aliases, resource policy and tags. A function's
-- record is small and always read and changed whole, in one transaction. Deleting the account
-- deletes its functions.
CREATE TABLE lambda_functions (
  account_id  TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
  region      TEXT NOT NULL,
  name        TEXT NOT NULL,
  body        TEXT NOT NULL,
  PRIMARY KEY (account_id, region, name)
) WITHOUT ROWID;
