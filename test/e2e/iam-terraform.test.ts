import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DescribeRepositoriesCommand, GetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { startServer, tempDir, type TestServer } from '../support/server.js';

const run = promisify(execFile);
/** A filesystem mirror of the AWS provider (the CI image carries one; nothing is downloaded). */
const PROVIDER_MIRROR = process.env.SIMFRA_TF_PLUGINS ?? '/opt/tf-plugins';

async function terraformAvailable(): Promise<string | undefined> {
  try {
    await run('terraform', ['version']);
  } catch {
    return 'terraform not installed';
  }
  if (!existsSync(join(PROVIDER_MIRROR, 'registry.terraform.io', 'hashicorp', 'aws'))) return `no AWS provider mirror at ${PROVIDER_MIRROR}`;
  return undefined;
}

const MAIN_TF = (endpoint: string) => `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region                  = "us-east-1"
  access_key              = "AKIAIOSFODNN7EXAMPLE"
  secret_key              = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_metadata_api_check = true
  endpoints {
    iam = "${endpoint}"
    sts = "${endpoint}"
    ecr = "${endpoint}"
  }
}
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

describe('Terraform (hashicorp/aws) manages IAM and ECR policies against simfra', async () => {
  const unavailable = await terraformAvailable();
  let server: TestServer;
  let dir: ReturnType<typeof tempDir>;
  const tf = (...args: string[]) =>
    run('terraform', [...args, '-no-color'], {
      cwd: dir.path,
      env: { ...process.env, TF_CLI_CONFIG_FILE: join(dir.path, 'tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
      maxBuffer: 16 << 20,
    });

  before(async () => {
    if (unavailable) return;
    server = await startServer();
    dir = tempDir('simfra-tf-');
    writeFileSync(
      join(dir.path, 'tfrc'),
      `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`,
    );
    writeFileSync(join(dir.path, 'main.tf'), MAIN_TF(server.url));
    await tf('init');
  });
  after(async () => {
    if (unavailable) return;
    dir.remove();
    await server.close();
  });

  it('apply, a plan without drift, the created user works, destroy', { timeout: 300_000 }, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    // when
    await tf('apply', '-auto-approve');
    // then: a second plan finds nothing to change (reads match what was written)
    const plan = await tf('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    assert.equal(plan.code, 0, plan.out);
    // and the user Terraform made can use ECR through its attached and inline policies
    const outputs = JSON.parse((await tf('output', '-json')).stdout) as Record<string, { value: string }>;
    const ecr = ecrClient(server.url, { accessKeyId: outputs.access_key_id!.value, secretAccessKey: outputs.secret_access_key!.value });
    const repos = await ecr.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repos.repositories?.map((r) => r.repositoryName), ['app']);
    await assert.rejects(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'app' })), { name: 'AccessDeniedException' });
    ecr.destroy();
    // and everything goes away again
    await tf('destroy', '-auto-approve');
    const root = ecrClient(server.url);
    assert.deepEqual((await root.send(new DescribeRepositoriesCommand({}))).repositories, []);
    root.destroy();
  });
});
