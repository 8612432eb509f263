/**
 * The AWS managed policies an ECR user reaches for, at their real ARNs, as data.
 *
 * Documents (default versions) — sources: the AWS Managed Policy Reference pages
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<PolicyName>.html, which give the
 * default version, creation/edit times and the JSON) and the zoph-io/MAMIP mirror of
 * `aws iam get-policy-version` output (policies/<PolicyName>), which agree statement for statement.
 * `document` is the text in the reference pages' rendering (2-space indent, `"Key" : value`,
 * statement keys in AWS's order); IAM returns an AWS managed policy's document URL-encoded, and
 * clients decode and re-parse it, so only its JSON value is observable.
 *
 * Descriptions are IAM's `Description` field (GetPolicy). Entries whose description or CreateDate
 * could not be read from the reference page are marked UNVERIFIED below. The reference pages give
 * creation times to the minute; where that is all there was, seconds are :00.
 */

export interface AwsManagedPolicy {
  readonly policyName: string;
  readonly arn: string;
  readonly path: string;
  readonly defaultVersionId: string;
  readonly description: string;
  /** ISO 8601; the policy's CreateDate. */
  readonly createDate: string;
  /** ISO 8601; the policy's UpdateDate (the default version's CreateDate). */
  readonly updateDate: string;
  /** The default version's document. */
  readonly document: string;
}

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    policyName: 'AdministratorAccess',
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    path: '/',
    defaultVersionId: 'v1',
    description: 'Provides full access to AWS services and resources.',
    createDate: '2015-02-06T18:39:46Z',
    updateDate: '2015-02-06T18:39:46Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : "*",
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    // UNVERIFIED: policy CreateDate not verified; the default version's date is used
    policyName: 'AmazonEC2ContainerRegistryFullAccess',
    arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess',
    path: '/',
    defaultVersionId: 'v3',
    description: 'Provides administrative access to Amazon ECR resources',
    createDate: '2020-12-05T00:04:19Z',
    updateDate: '2020-12-05T00:04:19Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:*",
        "cloudtrail:LookupEvents"
      ],
      "Resource" : "*"
    },
    {
      "Effect" : "Allow",
      "Action" : [
        "iam:CreateServiceLinkedRole"
      ],
      "Resource" : "*",
      "Condition" : {
        "StringEquals" : {
          "iam:AWSServiceName" : [
            "replication.ecr.amazonaws.com"
          ]
        }
      }
    }
  ]
}`,
  },
  {
    policyName: 'AmazonEC2ContainerRegistryPowerUser',
    arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
    path: '/',
    defaultVersionId: 'v3',
    description: 'Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.',
    createDate: '2015-12-21T17:05:00Z',
    updateDate: '2019-12-10T20:48:08Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    policyName: 'AmazonEC2ContainerRegistryReadOnly',
    arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
    path: '/',
    defaultVersionId: 'v3',
    description: 'Provides read-only access to Amazon EC2 Container Registry repositories.',
    createDate: '2015-12-21T17:04:00Z',
    updateDate: '2019-12-10T20:56:32Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description: English reference page not retrieved; wording inferred from its translations
    policyName: 'AmazonEC2ContainerRegistryPullOnly',
    arn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
    path: '/',
    defaultVersionId: 'v1',
    description: 'Provides permission to pull images from Amazon EC2 Container Registry repositories.',
    createDate: '2024-10-04T16:58:49Z',
    updateDate: '2024-10-04T16:58:49Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchImportUpstreamImage"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    policyName: 'AmazonECSTaskExecutionRolePolicy',
    arn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
    path: '/service-role/',
    defaultVersionId: 'v1',
    description: 'Provides access to other AWS service resources that are required to run Amazon ECS tasks',
    createDate: '2017-11-16T18:48:22Z',
    updateDate: '2017-11-16T18:48:22Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    policyName: 'AWSLambdaBasicExecutionRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    defaultVersionId: 'v1',
    description: 'Provides write permissions to CloudWatch Logs.',
    createDate: '2015-04-09T15:03:43Z',
    updateDate: '2015-04-09T15:03:43Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    // UNVERIFIED: policy CreateDate not verified; the default version's date is used
    policyName: 'IAMFullAccess',
    arn: 'arn:aws:iam::aws:policy/IAMFullAccess',
    path: '/',
    defaultVersionId: 'v2',
    description: 'Provides full access to IAM via the AWS Management Console.',
    createDate: '2019-06-21T19:40:00Z',
    updateDate: '2019-06-21T19:40:00Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "iam:*",
        "organizations:DescribeAccount",
        "organizations:DescribeOrganization",
        "organizations:DescribeOrganizationalUnit",
        "organizations:DescribePolicy",
        "organizations:ListChildren",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
        "organizations:ListRoots",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
  {
    // UNVERIFIED: description recalled, not re-read from the reference page
    // UNVERIFIED: policy CreateDate not verified; the default version's date is used
    policyName: 'IAMReadOnlyAccess',
    arn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
    path: '/',
    defaultVersionId: 'v4',
    description: 'Provides read only access to IAM via the AWS Management Console.',
    createDate: '2018-01-25T19:11:27Z',
    updateDate: '2018-01-25T19:11:27Z',
    document: `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "iam:GenerateCredentialReport",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:Get*",
        "iam:List*",
        "iam:SimulateCustomPolicy",
        "iam:SimulatePrincipalPolicy"
      ],
      "Resource" : "*"
    }
  ]
}`,
  },
];

const BY_ARN: ReadonlyMap<string, AwsManagedPolicy> = new Map(AWS_MANAGED_POLICIES.map((p) => [p.arn, p]));

/** The AWS managed policy at `arn` (`arn:aws:iam::aws:policy/...`), if simfra carries it. */
export function findAwsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  return BY_ARN.get(arn);
}
