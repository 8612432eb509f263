/**
 * ECR image URIs in both forms simfra answers to — its own registry host and the AWS one — as
 * Lambda (Code.ImageUri) and ECS (container `image`) name them.
 */

export interface ImageUri {
  accountId: string;
  region: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * `{account}.dkr.ecr.{region}.{domain}[:port]/{repo}(:tag|@sha256:…)`: `domain` is
 * `amazonaws.com` (what Terraform and scripts build) or simfra's registry domain. No tag means
 * `latest`, as docker reads it.
 */
export function parseImageUri(uri: string, registryDomain: string): ImageUri | undefined {
  const domains = ['amazonaws.com', 'amazonaws.com.cn', registryDomain].map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const m = new RegExp(`^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.(?:${domains.join('|')})(?::\\d+)?/([^@:]+)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`).exec(uri);
  if (!m) return undefined;
  const [, accountId, region, repository, tag, digest] = m;
  if (tag !== undefined && digest !== undefined) return undefined;
  return {
    accountId: accountId!,
    region: region!,
    repository: repository!,
    ...(digest !== undefined ? { digest } : { tag: tag ?? 'latest' }),
  };
}
