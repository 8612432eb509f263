/**
 * ECR's own words, in one place. Tests assert these whole strings.
 * Sources: ../shared/reference/ecr-behaviour.md §3.3 (public transcripts and moto's exceptions.py).
 */
export const messages = {
  repositoryNotFound: (name: string, registryId: string) =>
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  repositoryAlreadyExists: (name: string, registryId: string) =>
    `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
  repositoryNotEmpty: (name: string, registryId: string) =>
    `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
  invalidParameter: (member: string, constraint: string) =>
    `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`,
  tooManyTags: (count: number) =>
    `Tag limit exceeded: the resource can have at most 50 tags, the request would leave it with ${count}`,
  invalidResourceArn: (arn: string) => `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: ${arn}'`,
} as const;
