import type { RequestContext } from '../../aws/context.js';
import { commonErrors, type AwsError } from '../../aws/errors.js';
import { KmsError } from '../../kms/errors.js';
import {
  AlreadyExistsException,
  DisabledException,
  IncorrectKeyException,
  InvalidAliasNameException,
  InvalidArnException,
  InvalidCiphertextException,
  InvalidGrantTokenException,
  InvalidKeyUsageException,
  KMSInvalidStateException,
  MalformedPolicyDocumentException,
  NotFoundException,
  TagException,
  UnsupportedOperationException,
} from '../../model/kms/errors.js';

/** The one translation from KMS domain errors to KMS API errors. */
export function toKmsError(e: KmsError): AwsError {
  switch (e.kind) {
    case 'NotFound':
      return new NotFoundException(e.message);
    case 'Disabled':
      return new DisabledException(e.message);
    case 'InvalidState':
      return new KMSInvalidStateException(e.message);
    case 'InvalidCiphertext':
      return new InvalidCiphertextException(e.message);
    case 'IncorrectKey':
      return new IncorrectKeyException(e.message);
    case 'InvalidKeyUsage':
      return new InvalidKeyUsageException(e.message);
    case 'AlreadyExists':
      return new AlreadyExistsException(e.message);
    case 'InvalidAliasName':
      return new InvalidAliasNameException(e.message);
    case 'InvalidArn':
      return new InvalidArnException(e.message);
    case 'Validation':
      // ValidationException is not in the KMS model's error list; it is the common one.
      return commonErrors.validation(e.message);
    case 'MalformedPolicyDocument':
      return new MalformedPolicyDocumentException(e.message);
    case 'Tag':
      return new TagException(e.message);
    case 'Unsupported':
      return new UnsupportedOperationException(e.message);
    case 'InvalidGrantToken':
      return new InvalidGrantTokenException(e.message);
  }
}

/** Wraps a handler so domain errors leave it as KMS API errors. */
export function withKmsErrors<I, O>(fn: (ctx: RequestContext, input: I) => Promise<O>): (ctx: RequestContext, input: I) => Promise<O> {
  return async (ctx, input) => {
    try {
      return await fn(ctx, input);
    } catch (e) {
      throw e instanceof KmsError ? toKmsError(e) : e;
    }
  };
}
