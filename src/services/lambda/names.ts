/**
 * Lambda's names: function names and ARNs (with a qualifier). ECR image URIs (both forms simfra
 * answers to) are parsed in containers/image-uri.ts, shared with ECS.
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

export { parseImageUri, type ImageUri } from '../../containers/image-uri.js';
