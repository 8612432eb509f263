/**
 * What can go wrong in the IAM domain. The kind says what went wrong; the message is IAM's own
 * text (IAM has one front, so its words live with the rule that produces them, in iam-texts.ts).
 * services/iam/map-errors.ts turns each kind into its wire error.
 */
export type IamErrorKind =
  | 'NoSuchEntity'
  | 'EntityAlreadyExists'
  | 'DeleteConflict'
  | 'LimitExceeded'
  | 'MalformedPolicyDocument'
  | 'InvalidInput'
  | 'PolicyNotAttachable'
  | 'Validation';

export class IamError extends Error {
  constructor(
    readonly kind: IamErrorKind,
    message: string,
  ) {
    super(message);
    this.name = `IamError(${kind})`;
  }
}
