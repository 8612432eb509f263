/**
 * KMS's texts, word for word where a source shows them; `UNVERIFIED` marks a text not seen in a
 * public trace of real AWS (kept plausible and in KMS's style).
 */
export const kmsMessages = {
  /** "NotFoundException: Key 'arn:aws:kms:eu-west-1:…:key/0b2a…' does not exist" — hashicorp/boundary-reference-architecture#15, boto/botocore#2107. */
  keyNotFound: (keyArn: string) => `Key '${keyArn}' does not exist`,
  /** "NotFoundException: Alias arn:aws:kms:us-west-2:…:alias/parameter_store_key is not found." — cloudposse/docs#152. */
  aliasNotFound: (aliasArn: string) => `Alias ${aliasArn} is not found.`,
  /** "DisabledException … arn:aws:kms:us-east-1:123456789012:key/… is disabled." — fugue/credstash#86. */
  disabled: (keyArn: string) => `${keyArn} is disabled.`,
  /** "KMSInvalidStateException: arn:aws:kms:us-east-1:…:key/… is pending deletion." — terraform error quoted on stackengine.dev. */
  pendingDeletion: (keyArn: string) => `${keyArn} is pending deletion.`,
  // UNVERIFIED: CancelKeyDeletion of a key that is not pending deletion.
  notPendingDeletion: (keyArn: string) => `${keyArn} is not pending deletion.`,
  /** "AlreadyExistsException: An alias with the name arn:aws:kms:us-east-1:…:alias/eks/… already exists" — cloudbees-oss/terraform-aws-cloudbees-ci-eks-addon#66. */
  aliasExists: (aliasArn: string) => `An alias with the name ${aliasArn} already exists`,
  /** "ValidationException: Alias must start with the prefix \"alias/\". Please see …" — aws-controllers-k8s/community#1878. */
  aliasPrefix: 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
  /** "ValidationException: alias/Service:Test contains invalid characters for an alias" — hashicorp/terraform-provider-aws#12891. */
  aliasInvalidCharacters: (name: string) => `${name} contains invalid characters for an alias`,
  // UNVERIFIED: creating, updating or deleting an alias under the reserved alias/aws/ prefix.
  aliasReserved: (name: string) => `Alias ${name} uses the reserved prefix alias/aws/ and cannot be created, updated or deleted`,
  /** "MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future." — many terraform module issues, e.g. terraform-aws-modules/terraform-aws-kms#14. */
  policyLockOut: 'The new key policy will not allow you to update the key policy in the future.',
  // UNVERIFIED: a key policy that is not a valid policy document.
  malformedPolicy: 'The key policy is not a valid policy document.',
  // UNVERIFIED: a key policy naming principals that do not exist.
  invalidPrincipals: 'Policy contains a statement with one or more invalid principals.',
  /** IncorrectKeyException on Decrypt/ReEncrypt with a KeyId that did not encrypt the blob — floci-io/floci#1844 quoting AWS. */
  incorrectKey: 'The key ID in the request does not identify a KMS key that can perform this operation.',
  /** "InvalidKeyUsageException: arn:aws:kms:eu-west-1:…:key/… key usage is SIGN_VERIFY which is not valid for Encrypt." — jonathankeebler/jwt-kms#4. */
  invalidKeyUsage: (keyArn: string, operation: string, usage: string) =>
    `${keyArn} key usage is ${usage} which is not valid for ${operation}.`,
  /** "ValidationException: PendingWindowInDays must be between 7 and 30" — Skyscanner/kms-issuer#8. */
  pendingWindow: 'PendingWindowInDays must be between 7 and 30',
  // simfra's own: cryptography with asymmetric keys is not emulated.
  asymmetricUnsupported: (keyArn: string, operation: string) => `simfra does not emulate ${operation} with the asymmetric key ${keyArn}.`,
  // UNVERIFIED: GenerateDataKey with both or neither of KeySpec and NumberOfBytes.
  dataKeySpec: 'Please specify either number of bytes or key spec.',
  // UNVERIFIED: a policy name other than "default".
  policyName: (name: string) => `Policy name '${name}' is not supported. The only valid policy name is 'default'.`,
  // UNVERIFIED: a KeySpec that does not fit the KeyUsage.
  keySpecUsage: (spec: string, usage: string) => `KeySpec ${spec} is not valid for KeyUsage ${usage}`,
  // UNVERIFIED: an operation on an AWS managed key that only its service may do.
  awsManaged: (keyArn: string) => `${keyArn} is an AWS managed key and cannot be modified.`,
  // UNVERIFIED: rotation of a key that cannot rotate (asymmetric, HMAC).
  rotationUnsupported: (keyArn: string) => `${keyArn} does not support automatic key rotation.`,
  // UNVERIFIED: RotationPeriodInDays outside 90–2560.
  rotationPeriod: (days: number) =>
    `1 validation error detected: Value '${days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560`,
  /** InvalidArnException for a malformed key ARN, e.g. "Invalid arn" — coreos/coreos-kubernetes#688 (a NotFound then); UNVERIFIED wording. */
  invalidArn: (arn: string) => `Invalid arn ${arn}`,
  // UNVERIFIED: UpdateAlias to a key of another type or key usage.
  aliasTypeMismatch: (keyArn: string) => `${keyArn} is not the same type of key or does not have the same key usage as the alias's current key.`,
  // UNVERIFIED: RevokeGrant/RetireGrant of a grant the key does not have.
  grantNotFound: (grantId: string) => `Grant ID ${grantId} not found`,
  // UNVERIFIED: RetireGrant with neither a token nor KeyId and GrantId.
  retireGrantInput: 'Either GrantToken or both KeyId and GrantId must be specified.',
  // UNVERIFIED: RetireGrant with a token that is not one of ours.
  invalidGrantToken: 'Invalid grant token',
  // UNVERIFIED: a grant whose constraints give both EncryptionContextSubset and EncryptionContextEquals.
  grantConstraints: 'Only one of EncryptionContextSubset and EncryptionContextEquals may be specified.',
  // simfra's own: key material it does not emulate (imported, CloudHSM, external key stores).
  originUnsupported: (origin: string) => `simfra does not emulate keys with Origin ${origin}; only AWS_KMS keys are supported.`,
  // UNVERIFIED: tag keys starting with aws: are reserved.
  reservedTag: 'Tag keys prefixed with aws: are reserved for use by AWS.',
} as const;
