/**
 * The key policies KMS writes itself, printed as KMS prints them (GetKeyPolicy answers
 * "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\", …": two-space indent, " : "
 * between name and value, arrays of objects opened on the same line) — source: the default key
 * policy in the KMS Developer Guide, "Default key policy", and GetKeyPolicy outputs quoted in
 * provider issues.
 */

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Jackson's default pretty printer, which KMS's outputs show. */
export function printLikeKms(value: Json, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((v) => printLikeKms(v, indent)).join(', ')} ]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{ }';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${printLikeKms(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/**
 * The policy CreateKey gives a key when none is passed: the account (its root, hence its IAM
 * policies) may do everything with the key — source: KMS Developer Guide, "Default key policy"
 * ("Sid": "Enable IAM User Permissions", "Id": "key-default-1").
 */
export function defaultKeyPolicy(accountId: string): string {
  return printLikeKms({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

/** Human names AWS uses in the statement ids of its managed keys' policies. */
const SERVICE_TITLE: Readonly<Record<string, string>> = { ecr: 'Amazon ECR', secretsmanager: 'AWS Secrets Manager' };

/**
 * The policy of an AWS managed key `alias/aws/<service>`: every principal of the account may use
 * the key through the service (kms:ViaService + kms:CallerAccount), and the account may read its
 * metadata directly — the shape of every AWS managed key policy (e.g. aws/ebs, "auto-ebs-2",
 * quoted in the KMS Developer Guide, "AWS managed keys"). The ECR wording of the statement id and
 * the `Id` are UNVERIFIED (built the way the EBS one is).
 */
export function awsManagedKeyPolicy(accountId: string, region: string, service: string): string {
  const title = SERVICE_TITLE[service] ?? service.toUpperCase();
  return printLikeKms({
    Version: '2012-10-17',
    Id: `auto-${service}-1`,
    Statement: [
      {
        Sid: `Allow access through ${title} for all principals in the account that are authorized to use ${title}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  });
}

/** Descriptions of AWS managed keys — UNVERIFIED for ECR (EBS's reads "Default master key that protects my EBS volumes when no other key is defined"). */
export const AWS_MANAGED_DESCRIPTION: Readonly<Record<string, string>> = {
  ecr: 'Default key that protects my ECR data when no other key is defined',
  // UNVERIFIED, built as the others.
  secretsmanager: 'Default key that protects my Secrets Manager data when no other key is defined',
};

/**
 * The AWS managed aliases ListAliases shows in every account and region, without a target until
 * the service first uses its key (hashicorp/terraform-provider-aws#2009 shows alias/aws/dynamodb,
 * ebs, kinesisvideo, redshift, ssm listed without TargetKeyId). The exact set varies by region
 * and over time: UNVERIFIED beyond those.
 */
export const AWS_MANAGED_ALIASES: readonly string[] = [
  'alias/aws/acm',
  'alias/aws/dynamodb',
  'alias/aws/ebs',
  'alias/aws/ecr',
  'alias/aws/elasticfilesystem',
  'alias/aws/es',
  'alias/aws/glue',
  'alias/aws/kinesis',
  'alias/aws/kinesisvideo',
  'alias/aws/lambda',
  'alias/aws/rds',
  'alias/aws/redshift',
  'alias/aws/s3',
  'alias/aws/secretsmanager',
  'alias/aws/sns',
  'alias/aws/sqs',
  'alias/aws/ssm',
  'alias/aws/xray',
];
