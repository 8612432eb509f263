import { AwsError } from '../../aws/errors.js';
import { IamError } from '../../iam/errors.js';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  InvalidInputException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PolicyNotAttachableException,
} from '../../model/iam/errors.js';

/** The one translation from IAM-domain errors to IAM wire errors. */
export function toIamError(e: IamError): AwsError {
  switch (e.kind) {
    case 'NoSuchEntity':
      return new NoSuchEntityException(e.message);
    case 'EntityAlreadyExists':
      return new EntityAlreadyExistsException(e.message);
    case 'DeleteConflict':
      return new DeleteConflictException(e.message);
    case 'LimitExceeded':
      return new LimitExceededException(e.message);
    case 'MalformedPolicyDocument':
      return new MalformedPolicyDocumentException(e.message);
    case 'InvalidInput':
      return new InvalidInputException(e.message);
    case 'PolicyNotAttachable':
      return new PolicyNotAttachableException(e.message);
    case 'Validation':
      return new AwsError('ValidationError', e.message, 400);
  }
}

/** Wraps a handler so that IAM-domain errors leave it as IAM errors. */
export function withIamErrors<I, O, C>(fn: (ctx: C, input: I) => Promise<O>): (ctx: C, input: I) => Promise<O> {
  return async (ctx, input) => {
    try {
      return await fn(ctx, input);
    } catch (e) {
      if (e instanceof IamError) throw toIamError(e);
      throw e;
    }
  };
}
