/**
 * Terraform (hashicorp/aws) creating a KMS key, its alias and an ECR repository encrypted with
 * it against simfra: apply, a plan without drift, the repository really using the key, destroy.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ecrClient } from '../support/clients.js';
import { REGION, ROOT, startServer, tempDir, type TestServer } from '../support/server.js';

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
  region                      = "us-east-1"
  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  endpoints {
    ecr = "${endpoint}"
    kms = "${endpoint}"
    sts = "${endpoint}"
    iam = "${endpoint}"
  }
}
resource "aws_kms_key" "images" {
  description             = "ECR images"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags                    = { team = "platform" }
}
resource "aws_kms_alias" "images" {
  name          = "alias/ecr-images"
  target_key_id = aws_kms_key.images.key_id
}
# ECR reports the key ARN whatever the request named, so naming the alias ARN here would
# plan a replacement on every run, in AWS as here (cloudposse/terraform-aws-ecr#85); the
# alias's target_key_arn is the usual way round it.
resource "aws_ecr_repository" "by_alias" {
  name = "app/by-alias"
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_alias.images.target_key_arn
  }
}
resource "aws_ecr_repository" "by_arn" {
  name                 = "app/by-arn"
  image_tag_mutability = "IMMUTABLE"
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.images.arn
  }
}
resource "aws_ecr_repository" "managed" {
  name = "app/managed"
  encryption_configuration {
    encryption_type = "KMS"
  }
}
output "key_arn" { value = aws_kms_key.images.arn }
output "by_alias_key" { value = aws_ecr_repository.by_alias.encryption_configuration[0].kms_key }
`;

describe('Terraform: aws_kms_key + aws_kms_alias + aws_ecr_repository with KMS encryption', async () => {
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
    dir = tempDir('simfra-tf-kms-ecr-');
    writeFileSync(join(dir.path, 'tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    writeFileSync(join(dir.path, 'main.tf'), MAIN_TF(server.url));
    await tf('init');
  });
  after(async () => {
    if (unavailable) return;
    dir.remove();
    await server.close();
  });

  it('apply, a plan without drift, the repositories report the key, destroy', { timeout: 300_000 }, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    // when
    await tf('apply', '-auto-approve');
    // then a second plan finds nothing to change
    const plan = await tf('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
    );
    assert.equal(plan.code, 0, plan.out);
    // and the repositories report the key's ARN, whichever way it was named
    const outputs = JSON.parse((await tf('output', '-json')).stdout) as Record<string, { value: string }>;
    const keyArn = outputs.key_arn!.value;
    assert.equal(outputs.by_alias_key!.value, keyArn);
    const ecr = ecrClient(server.url);
    const kms = new KMSClient({ endpoint: server.url, region: REGION, credentials: ROOT, maxAttempts: 1 });
    const managedArn = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ecr' }))).KeyMetadata?.Arn;
    const repos = await ecr.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(
      Object.fromEntries((repos.repositories ?? []).map((r) => [r.repositoryName, r.encryptionConfiguration])),
      {
        'app/by-alias': { encryptionType: 'KMS', kmsKey: keyArn },
        'app/by-arn': { encryptionType: 'KMS', kmsKey: keyArn },
        'app/managed': { encryptionType: 'KMS', kmsKey: managedArn },
      },
    );
    // and everything goes away again (the key into its deletion window)
    await tf('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribeRepositoriesCommand({}))).repositories, []);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState, 'PendingDeletion');
    ecr.destroy();
    kms.destroy();
  });
});
