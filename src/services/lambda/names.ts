/**
 * Lambda's names: function names and ARNs (with a qualifier), and ECR image URIs in both forms
 * simfra answers to — its own registry host and the AWS one.
 */

export interface FunctionRef {
  accountId: string;
  region: string;
  name: string;
  qualifier?: string;
}

const FULL_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$/;
const NAME = /^([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$/;

/** `name`, `name:qualifier`, `123456789012:function:name[:q]` or a full ARN; undefined when none of those. */
export function parseFunctionName(input: string, accountId: string, region: string, qualifier?: string): FunctionRef | undefined {
  let m = FULL_ARN.exec(input);
  let ref: FunctionRef | undefined;
  if (m) ref = { region: m[1]!, accountId: m[2]!, name: m[3]!, ...(m[4] ? { qualifier: m[4] } : {}) };
  else if ((m = PARTIAL_ARN.exec(input))) ref = { region, accountId: m[1]!, name: m[2]!, ...(m[3] ? { qualifier: m[3] } : {}) };
  else if ((m = NAME.exec(input))) ref = { region, accountId, name: m[1]!, ...(m[2] ? { qualifier: m[2] } : {}) };
  if (!ref || ref.name.length > 64) return undefined;
  if (qualifier !== undefined) ref.qualifier = qualifier;
  return ref;
}

export const functionArn = (ref: { accountId: string; region: string; name: string }, qualifier?: string): string =>
  `arn:aws:lambda:${ref.region}:${ref.accountId}:function:${ref.name}${qualifier !== undefined ? `:${qualifier}` : ''}`;

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
