/**
 * Secrets Manager's texts, word for word where a source shows them; `UNVERIFIED` marks a text not
 * seen in a public trace of real AWS (kept plausible and in Secrets Manager's style).
 */
export const secretsMessages = {
  /** "ValidationException: Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!" — hashicorp/terraform-provider-aws#39406, anomalyco/sst#3795. */
  invalidName: 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
  /** "ResourceNotFoundException: Secrets Manager can't find the specified secret." — many client issues, e.g. ibm-mas/cli#937. */
  notFound: "Secrets Manager can't find the specified secret.",
  /** "…can't find the specified secret value for staging label: AWSCURRENT" — seen in provider and SDK issues. */
  stageNotFound: (stage: string) => `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
  // UNVERIFIED: the same for a VersionId the secret does not have (built as the staging-label text).
  versionNotFound: (versionId: string) => `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
  /** "InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion." — external-secrets/kubernetes-external-secrets#415. */
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  /** "InvalidRequestException: You can't create this secret because a secret with this name is already scheduled for deletion." — aws/copilot-cli#655. */
  nameScheduledForDeletion: "You can't create this secret because a secret with this name is already scheduled for deletion.",
  /** "ResourceExistsException: The operation failed because the secret Test already exists." — getmoto/moto#9700 (quoting AWS). */
  exists: (name: string) => `The operation failed because the secret ${name} already exists.`,
  /** "InvalidParameterException: The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)." — getmoto/moto#6461 (quoting AWS). */
  recoveryWindow: 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
  // UNVERIFIED: DeleteSecret with both ForceDeleteWithoutRecovery and RecoveryWindowInDays.
  forceAndWindow: "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
  /** DeleteSecret of a secret already scheduled for deletion — localstack/awscli-local#83 quotes it; UNVERIFIED against AWS itself. */
  alreadyMarkedDeleted: "You tried to perform the operation on a secret that's currently marked deleted.",
  // UNVERIFIED: both SecretString and SecretBinary in one request.
  bothValues: "You can't specify both a binary secret value and a string secret value in the same secret.",
  // UNVERIFIED: PutSecretValue with neither SecretString nor SecretBinary.
  noValue: 'You must provide either SecretString or SecretBinary.',
  // UNVERIFIED: a ClientRequestToken reused with another value or other staging labels.
  versionExists: "You can't modify an existing version, you can only create a new version.",
  /** "AccessDeniedException: Access to KMS is not allowed" — awsdocs/aws-kms-developer-guide#36, external-secrets#838. */
  kmsAccessDenied: 'Access to KMS is not allowed',
  // UNVERIFIED: the secret's KMS key cannot decrypt (disabled, pending deletion, gone).
  decryptionFailure: (kmsMessage: string) =>
    `Secrets Manager can't decrypt the protected secret text using the provided KMS key. ${kmsMessage}`.trimEnd(),
  // UNVERIFIED: the KMS key cannot make a data key for a new version.
  encryptionFailure: (kmsMessage: string) =>
    `Secrets Manager can't encrypt the protected secret text using the provided KMS key. ${kmsMessage}`.trimEnd(),
  // UNVERIFIED: the key given as KmsKeyId does not exist.
  kmsKeyNotFound: (kmsMessage: string) => `Secrets Manager can't find the specified KMS key. ${kmsMessage}`.trimEnd(),
  // UNVERIFIED: UpdateSecretVersionStage moving a label from a version that does not have it.
  stageNotOnVersion: (stage: string, versionId: string) =>
    `The staging label ${stage} is currently attached to version ${versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
  // UNVERIFIED: removing AWSCURRENT without moving it to another version.
  removeCurrent: 'You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.',
  // UNVERIFIED: a tag key starting with aws:.
  reservedTag: 'Invalid tag key. Tag keys that start with aws: are reserved for use by AWS.',
  // UNVERIFIED: the NextToken of ListSecrets/ListSecretVersionIds was not one simfra handed out.
  invalidNextToken: 'The provided NextToken is not valid.',
  /** ListSecrets with a filter key AWS does not know: the model lists the keys; UNVERIFIED wording. */
  invalidFilter: (key: string) => `Invalid filter key: ${key}`,
  // UNVERIFIED: GetRandomPassword excluding every character class.
  noCharacters: 'The password must include at least one character type.',
  // UNVERIFIED: BatchGetSecretValue with both or neither of SecretIdList and Filters.
  batchIdsOrFilters: 'Either SecretIdList or Filters must be provided, but not both.',
  // UNVERIFIED: BatchGetSecretValue paging (MaxResults, NextToken) with a SecretIdList.
  batchPagingWithIds: "You can't use MaxResults or NextToken with SecretIdList.",
} as const;
