/**
 * AWS's access-denied texts, word for word.
 *
 * Form — source: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 *   "User: <arn> is not authorized to perform: <action> on resource: <resource> because no <type> allows the <action> action"
 *   "User: <arn> is not authorized to perform: <action> on resource: <resource> with an explicit deny in a(n) <type>"
 * seen verbatim from ECR, e.g. "denied: User: arn:aws:sts::…:assumed-role/…/… is not authorized to
 * perform: ecr:GetDownloadUrlForLayer on resource: arn:aws:ecr:…:repository/… because no
 * identity-based policy allows the ecr:GetDownloadUrlForLayer action" (aws-amplify/amplify-category-api#1255),
 * and "… is not authorized to perform: s3:ListBucket on resource: … with an explicit deny in a
 * resource-based policy" (noobaa/noobaa-core#10060). The word is always "User:", also for roles and root.
 *
 * Since the 2025/2026 roll-out, an explicit deny by an SCP, RCP, permissions boundary, session
 * policy or identity-based policy in the same account/organization ends with ": <policy ARN>" —
 * source: https://aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns
 * (inline policies have no ARN, so their messages stay without it).
 */
import type { AuthorizeResult, PolicyType } from './evaluate.js';

const WITH_ARTICLE: Readonly<Record<PolicyType, string>> = {
  'identity-based policy': 'an identity-based policy',
  'resource-based policy': 'a resource-based policy',
  'permissions boundary': 'a permissions boundary',
  'session policy': 'a session policy',
  'service control policy': 'a service control policy',
};

export interface DeniedRequest {
  /** The caller's ARN as AWS prints it (user, root, `arn:aws:sts::…:assumed-role/role/session`). */
  readonly principalArn: string;
  readonly action: string;
  /** The resource ARN or `*`; undefined drops " on resource: …" (services that omit it). */
  readonly resource: string | undefined;
}

function head(request: DeniedRequest): string {
  const on = request.resource === undefined ? '' : ` on resource: ${request.resource}`;
  return `User: ${request.principalArn} is not authorized to perform: ${request.action}${on}`;
}

/** "… because no <type> allows the <action> action" */
export function implicitDenyMessage(request: DeniedRequest, policyType: PolicyType): string {
  return `${head(request)} because no ${policyType} allows the ${request.action} action`;
}

/** "… with an explicit deny in a(n) <type>[: <policy ARN>]" */
export function explicitDenyMessage(request: DeniedRequest, policyType: PolicyType, policyArn?: string): string {
  const arn = policyArn === undefined ? '' : `: ${policyArn}`;
  return `${head(request)} with an explicit deny in ${WITH_ARTICLE[policyType]}${arn}`;
}

/** The message for a Deny from authorizeRequest (an Allow has none: returns undefined). */
export function accessDeniedMessage(request: DeniedRequest, result: AuthorizeResult): string | undefined {
  if (result.decision === 'Allow') return undefined;
  const type = result.deniedBy ?? 'identity-based policy';
  return result.reason === 'explicitDeny'
    ? explicitDenyMessage(request, type, result.deniedByPolicyArn)
    : implicitDenyMessage(request, type);
}
