import assert from 'node:assert/strict';
import { DescribeKeyCommand, GetKeyRotationStatusCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { kmsClient } from '../support/kms.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['iam', 'sts', 'kms'], { skip_requesting_account_id: false })}
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

describeTerraform(
  'Terraform (hashicorp/aws) manages KMS keys and aliases against simfra',
  { dirPrefix: 'simfra-tf-kms-', mainTf: MAIN_TF },
  { name: 'apply aws_kms_key + aws_kms_alias, a plan without drift, destroy', timeout: 600_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: a second plan finds nothing to change
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    const outputs = JSON.parse((await tf.run('output', '-json')).stdout) as Record<string, { value: string }>;
    assert.equal(outputs.alias_target!.value, outputs.key_arn!.value);
    assert.equal(outputs.by_alias_arn!.value, outputs.key_arn!.value);
    const kms = kmsClient(server.url);
    try {
      const key = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/images' }))).KeyMetadata!;
      assert.equal(key.Description, 'images');
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, true);
      // and destroy schedules the keys' deletion (7 days) and removes the alias
      await tf.run('destroy', '-auto-approve');
      const after = (await kms.send(new DescribeKeyCommand({ KeyId: outputs.key_id!.value }))).KeyMetadata!;
      assert.equal(after.KeyState, 'PendingDeletion');
      assert.equal(after.PendingDeletionWindowInDays, 7);
      const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
      assert.ok(!aliases.includes('alias/images'));
    } finally {
      kms.destroy();
    }
  },
);
