/** ECR resource names. */
export const repositoryArn = (region: string, accountId: string, name: string): string =>
  `arn:aws:ecr:${region}:${accountId}:repository/${name}`;

/** `arn:aws:ecr:{region}:{account}:repository/{name}` → its parts, or undefined. */
export function parseRepositoryArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]! } : undefined;
}
