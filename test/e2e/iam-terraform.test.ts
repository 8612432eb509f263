import assert from 'node:assert/strict';
import { DescribeRepositoriesCommand, GetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['iam', 'sts', 'ecr'])}
data "aws_caller_identity" "me" {}
data "aws_iam_policy_document" "push" {
  statement {
    actions   = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "push" {
  name   = "ecr-push"
  path   = "/ci/"
  policy = data.aws_iam_policy_document.push.json
  tags   = { team = "platform" }
}
resource "aws_iam_user" "dev" {
  name = "dev"
  tags = { team = "platform" }
}
resource "aws_iam_access_key" "dev" { user = aws_iam_user.dev.name }
resource "aws_iam_user_policy_attachment" "dev" {
  user       = aws_iam_user.dev.name
  policy_arn = aws_iam_policy.push.arn
}
resource "aws_iam_user_policy" "dev" {
  name   = "describe"
  user   = aws_iam_user.dev.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:DescribeRepositories", Resource = "*" }] })
}
resource "aws_iam_group" "readers" { name = "readers" }
resource "aws_iam_group_membership" "readers" {
  name  = "readers"
  group = aws_iam_group.readers.name
  users = [aws_iam_user.dev.name]
}
resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::\${data.aws_caller_identity.me.account_id}:root" }, Action = "sts:AssumeRole", Condition = { StringEquals = { "sts:ExternalId" = "x-123" } } }]
  })
  max_session_duration = 7200
  tags                 = { team = "platform" }
}
resource "aws_iam_role_policy_attachment" "ci" {
  role       = aws_iam_role.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
}
resource "aws_iam_role_policy" "ci" {
  name   = "inline"
  role   = aws_iam_role.ci.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:ListImages", Resource = "*" }] })
}
resource "aws_ecr_repository" "app" { name = "app" }
resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Pull", Effect = "Allow", Principal = { AWS = aws_iam_role.ci.arn }, Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] }]
  })
}
resource "aws_ecr_registry_policy" "this" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Replicate", Effect = "Allow", Principal = { AWS = "arn:aws:iam::\${data.aws_caller_identity.me.account_id}:root" }, Action = ["ecr:ReplicateImage", "ecr:CreateRepository"], Resource = "arn:aws:ecr:us-east-1:\${data.aws_caller_identity.me.account_id}:repository/*" }]
  })
}
output "access_key_id" { value = aws_iam_access_key.dev.id }
output "secret_access_key" {
  value     = aws_iam_access_key.dev.secret
  sensitive = true
}
`;

describeTerraform(
  'Terraform (hashicorp/aws) manages IAM and ECR policies against simfra',
  { dirPrefix: 'simfra-tf-', mainTf: MAIN_TF },
  { name: 'apply, a plan without drift, the created user works, destroy', timeout: 300_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: a second plan finds nothing to change (reads match what was written)
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    // and the user Terraform made can use ECR through its attached and inline policies
    const outputs = JSON.parse((await tf.run('output', '-json')).stdout) as Record<string, { value: string }>;
    const ecr = ecrClient(server.url, { accessKeyId: outputs.access_key_id!.value, secretAccessKey: outputs.secret_access_key!.value });
    const repos = await ecr.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repos.repositories?.map((r) => r.repositoryName), ['app']);
    await assert.rejects(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'app' })), { name: 'AccessDeniedException' });
    ecr.destroy();
    // and everything goes away again
    await tf.run('destroy', '-auto-approve');
    const root = ecrClient(server.url);
    assert.deepEqual((await root.send(new DescribeRepositoriesCommand({}))).repositories, []);
    root.destroy();
  },
);
