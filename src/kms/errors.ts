/**
 * What can go wrong in the KMS domain. The kind says what went wrong; the message is KMS's own
 * text (messages.ts). services/kms/map-errors.ts turns each kind into its wire exception; other
 * services (ECR) read `kind` and `message` to word their own errors (ECR's KmsException carries
 * the KMS error name in `kmsError`: `wireName` below).
 */
export type KmsErrorKind =
  | 'NotFound'
  | 'Disabled'
  | 'InvalidState'
  | 'InvalidCiphertext'
  | 'IncorrectKey'
  | 'InvalidKeyUsage'
  | 'AlreadyExists'
  | 'InvalidAliasName'
  | 'InvalidArn'
  | 'Validation'
  | 'MalformedPolicyDocument'
  | 'Tag'
  | 'Unsupported'
  | 'InvalidGrantToken';

/** The KMS exception each kind becomes on the wire (what ECR reports as `kmsError`). */
export const KMS_WIRE_NAME: Readonly<Record<KmsErrorKind, string>> = {
  NotFound: 'NotFoundException',
  Disabled: 'DisabledException',
  InvalidState: 'KMSInvalidStateException',
  InvalidCiphertext: 'InvalidCiphertextException',
  IncorrectKey: 'IncorrectKeyException',
  InvalidKeyUsage: 'InvalidKeyUsageException',
  AlreadyExists: 'AlreadyExistsException',
  InvalidAliasName: 'InvalidAliasNameException',
  InvalidArn: 'InvalidArnException',
  Validation: 'ValidationException',
  MalformedPolicyDocument: 'MalformedPolicyDocumentException',
  Tag: 'TagException',
  Unsupported: 'UnsupportedOperationException',
  InvalidGrantToken: 'InvalidGrantTokenException',
};

export class KmsError extends Error {
  constructor(
    readonly kind: KmsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = `KmsError(${kind})`;
  }

  get wireName(): string {
    return KMS_WIRE_NAME[this.kind];
  }
}
