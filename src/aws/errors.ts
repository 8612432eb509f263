/**
 * The one error type every AWS front answers with. A protocol encoder turns it into the wire
 * shape of its protocol (json-1.1 `__type`, query XML `<Error><Code>`); services throw it (or a
 * generated subclass from src/model/<svc>/errors.ts) and never choose a status themselves.
 */
export type Fault = 'client' | 'server';

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly fault: Fault = 'client',
    /** Extra members of the error shape, serialised beside `message` (e.g. `lastValidByteReceived`). */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Errors every AWS service shares (the "common errors" of the AWS API reference). */
export const commonErrors = {
  accessDenied: (message = 'Access denied') => new AwsError('AccessDeniedException', message, 400),
  missingAuthenticationToken: () =>
    new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
  incompleteSignature: (message: string) => new AwsError('IncompleteSignatureException', message, 400),
  invalidSignature: () =>
    new AwsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      400,
    ),
  signatureExpired: (message: string) => new AwsError('InvalidSignatureException', message, 400),
  unrecognizedClient: () =>
    new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400),
  expiredToken: () => new AwsError('ExpiredTokenException', 'The security token included in the request is expired', 400),
  unknownOperation: () => new AwsError('UnknownOperationException', '', 400),
  serialization: (message: string) => new AwsError('SerializationException', message, 400),
  validation: (message: string) => new AwsError('ValidationException', message, 400),
  internalFailure: () => new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500, 'server'),
} as const;
