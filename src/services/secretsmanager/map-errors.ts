import type { RequestContext } from '../../aws/context.js';
import { AwsError, commonErrors } from '../../aws/errors.js';
import {
  DecryptionFailure,
  EncryptionFailure,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  ResourceExistsException,
  ResourceNotFoundException,
} from '../../model/secretsmanager/errors.js';
import { SecretsError } from '../../secrets/errors.js';

/** The one translation from Secrets Manager domain errors to its API errors. */
export function toSecretsManagerError(e: SecretsError): AwsError {
  switch (e.kind) {
    case 'ResourceNotFound':
      return new ResourceNotFoundException(e.message);
    case 'ResourceExists':
      return new ResourceExistsException(e.message);
    case 'InvalidRequest':
      return new InvalidRequestException(e.message);
    case 'InvalidParameter':
      return new InvalidParameterException(e.message);
    case 'DecryptionFailure':
      return new DecryptionFailure(e.message);
    case 'EncryptionFailure':
      return new EncryptionFailure(e.message);
    case 'LimitExceeded':
      return new LimitExceededException(e.message);
    case 'KmsAccessDenied':
      // "AccessDeniedException: Access to KMS is not allowed" (the common AccessDeniedException).
      return commonErrors.accessDenied(e.message);
    case 'Validation':
      // Secrets Manager's own name check answers the common ValidationException.
      return commonErrors.validation(e.message);
  }
}

/** Wraps a handler so domain errors leave it as Secrets Manager API errors. */
export function withSecretsErrors<I, O>(fn: (ctx: RequestContext, input: I) => Promise<O>): (ctx: RequestContext, input: I) => Promise<O> {
  return async (ctx, input) => {
    try {
      return await fn(ctx, input);
    } catch (e) {
      throw e instanceof SecretsError ? toSecretsManagerError(e) : e;
    }
  };
}
