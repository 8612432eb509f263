/**
 * What can go wrong in the Secrets Manager domain. The kind says what went wrong; the message is
 * Secrets Manager's own text (messages.ts). services/secretsmanager/map-errors.ts turns each kind
 * into its wire exception. Other services (ECR's pull-through cache) catch the two subclasses
 * below through `Secrets.readCurrentForService`.
 */
export type SecretsErrorKind =
  | 'ResourceNotFound'
  | 'ResourceExists'
  | 'InvalidRequest'
  | 'InvalidParameter'
  | 'DecryptionFailure'
  | 'EncryptionFailure'
  | 'LimitExceeded'
  | 'KmsAccessDenied'
  | 'Validation';

export class SecretsError extends Error {
  constructor(
    readonly kind: SecretsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = `SecretsError(${kind})`;
  }
}

/** No such secret (or, for another service reading it, one scheduled for deletion). */
export class SecretNotFoundError extends SecretsError {
  constructor(message: string) {
    super('ResourceNotFound', message);
    this.name = 'SecretNotFoundError';
  }
}

/** The secret's KMS key cannot decrypt its value (disabled, pending deletion, gone). */
export class SecretDecryptError extends SecretsError {
  constructor(
    message: string,
    /** The KMS exception behind it (DisabledException, KMSInvalidStateException, …), when there is one. */
    readonly kmsError?: string,
  ) {
    super('DecryptionFailure', message);
    this.name = 'SecretDecryptError';
  }
}
