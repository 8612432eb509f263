import { AwsError } from '../../aws/errors.js';
import { ImageError } from '../../images/errors.js';
import {
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
} from '../../model/ecr/errors.js';
import { messages } from './messages.js';

/** The one translation from image-domain errors to ECR API errors. */
export function toEcrError(e: ImageError): AwsError {
  switch (e.kind) {
    case 'RepositoryNotFound': {
      const a = e.args as ImageError<'RepositoryNotFound'>['args'];
      return new RepositoryNotFoundException(messages.repositoryNotFound(a.name, a.registryId));
    }
    case 'RepositoryAlreadyExists': {
      const a = e.args as ImageError<'RepositoryAlreadyExists'>['args'];
      return new RepositoryAlreadyExistsException(messages.repositoryAlreadyExists(a.name, a.registryId));
    }
    case 'RepositoryNotEmpty': {
      const a = e.args as ImageError<'RepositoryNotEmpty'>['args'];
      return new RepositoryNotEmptyException(messages.repositoryNotEmpty(a.name, a.registryId));
    }
  }
}

/** Wraps a handler so that image-domain errors leave it as ECR errors. */
export function withEcrErrors<I, O, C>(fn: (ctx: C, input: I) => Promise<O>): (ctx: C, input: I) => Promise<O> {
  return async (ctx, input) => {
    try {
      return await fn(ctx, input);
    } catch (e) {
      if (e instanceof ImageError) throw toEcrError(e);
      throw e;
    }
  };
}
