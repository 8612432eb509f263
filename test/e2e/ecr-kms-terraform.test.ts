/**
 * Terraform (hashicorp/aws) creating a KMS key, its alias and an ECR repository encrypted with
 * it against simfra: apply, a plan without drift, the repository really using the key, destroy.
 */
import assert from 'node:assert/strict';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ecrClient } from '../support/clients.js';
import { REGION, ROOT } from '../support/server.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['ecr', 'kms', 'sts', 'iam'], { skip_credentials_validation: true, skip_requesting_account_id: true })}
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

describeTerraform(
  'Terraform: aws_kms_key + aws_kms_alias + aws_ecr_repository with KMS encryption',
  { dirPrefix: 'simfra-tf-kms-ecr-', mainTf: MAIN_TF },
  { name: 'apply, a plan without drift, the repositories report the key, destroy', timeout: 300_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then a second plan finds nothing to change
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    // and the repositories report the key's ARN, whichever way it was named
    const outputs = JSON.parse((await tf.run('output', '-json')).stdout) as Record<string, { value: string }>;
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
    await tf.run('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribeRepositoriesCommand({}))).repositories, []);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState, 'PendingDeletion');
    ecr.destroy();
    kms.destroy();
  },
);
