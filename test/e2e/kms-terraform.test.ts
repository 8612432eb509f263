import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DescribeKeyCommand, GetKeyRotationStatusCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { kmsClient } from '../support/kms.js';
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
  region                      = "us-east-1"
  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  endpoints {
    iam = "${endpoint}"
    sts = "${endpoint}"
    kms = "${endpoint}"
  }
}
data "aws_caller_identity" "me" {}
resource "aws_kms_key" "default_policy" {
  description             = "images"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags                    = { team = "platform" }
}
resource "aws_kms_key" "own_policy" {
  description = "with a policy"
  policy = jsonencode({
    Version   = "2012-10-17"
    Id        = "mine"
    Statement = [{ Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::\${data.aws_caller_identity.me.account_id}:root" }, Action = "kms:*", Resource = "*" }]
  })
  is_enabled = false
}
resource "aws_kms_alias" "images" {
  name          = "alias/images"
  target_key_id = aws_kms_key.default_policy.key_id
}
data "aws_kms_alias" "images" {
  name       = aws_kms_alias.images.name
  depends_on = [aws_kms_alias.images]
}
data "aws_kms_key" "by_alias" {
  key_id     = aws_kms_alias.images.name
  depends_on = [aws_kms_alias.images]
}
output "key_id" { value = aws_kms_key.default_policy.key_id }
output "key_arn" { value = aws_kms_key.default_policy.arn }
output "alias_target" { value = data.aws_kms_alias.images.target_key_arn }
output "by_alias_arn" { value = data.aws_kms_key.by_alias.arn }
`;

describe('Terraform (hashicorp/aws) manages KMS keys and aliases against simfra', async () => {
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
    dir = tempDir('simfra-tf-kms-');
    writeFileSync(join(dir.path, 'tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    writeFileSync(join(dir.path, 'main.tf'), MAIN_TF(server.url));
    await tf('init');
  });
  after(async () => {
    if (unavailable) return;
    dir.remove();
    await server.close();
  });

  it('apply aws_kms_key + aws_kms_alias, a plan without drift, destroy', { timeout: 600_000 }, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    // when
    await tf('apply', '-auto-approve');
    // then: a second plan finds nothing to change
    const plan = await tf('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    assert.equal(plan.code, 0, plan.out);
    const outputs = JSON.parse((await tf('output', '-json')).stdout) as Record<string, { value: string }>;
    assert.equal(outputs.alias_target!.value, outputs.key_arn!.value);
    assert.equal(outputs.by_alias_arn!.value, outputs.key_arn!.value);
    const kms = kmsClient(server.url);
    try {
      const key = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/images' }))).KeyMetadata!;
      assert.equal(key.Description, 'images');
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, true);
      // and destroy schedules the keys' deletion (7 days) and removes the alias
      await tf('destroy', '-auto-approve');
      const after = (await kms.send(new DescribeKeyCommand({ KeyId: outputs.key_id!.value }))).KeyMetadata!;
      assert.equal(after.KeyState, 'PendingDeletion');
      assert.equal(after.PendingDeletionWindowInDays, 7);
      const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
      assert.ok(!aliases.includes('alias/images'));
    } finally {
      kms.destroy();
    }
  });
});
