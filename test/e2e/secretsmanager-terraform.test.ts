import assert from 'node:assert/strict';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { REGION, ROOT } from '../support/server.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['iam', 'sts', 'kms', 'secretsmanager'], { skip_requesting_account_id: false })}
resource "aws_kms_key" "secrets" {
  description             = "secrets"
  deletion_window_in_days = 7
}
resource "aws_secretsmanager_secret" "hub" {
  name        = "ecr-pullthroughcache/docker-hub"
  description = "Docker Hub credentials"
  tags        = { team = "platform" }
}
resource "aws_secretsmanager_secret_version" "hub" {
  secret_id     = aws_secretsmanager_secret.hub.id
  secret_string = jsonencode({ username = "me", accessToken = "dckr_pat_x" })
}
resource "aws_secretsmanager_secret" "sealed" {
  name                    = "app/sealed"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 0
}
resource "aws_secretsmanager_secret_version" "sealed" {
  secret_id     = aws_secretsmanager_secret.sealed.id
  secret_binary = base64encode("binary\\u0001")
}
output "hub_arn" { value = aws_secretsmanager_secret.hub.arn }
output "hub_version" { value = aws_secretsmanager_secret_version.hub.version_id }
output "sealed_arn" { value = aws_secretsmanager_secret.sealed.arn }
`;

describeTerraform(
  'Terraform (hashicorp/aws) manages Secrets Manager secrets against simfra',
  { dirPrefix: 'simfra-tf-secrets-', mainTf: MAIN_TF },
  { name: 'apply aws_secretsmanager_secret + _version, a plan without drift, destroy', timeout: 600_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: a second plan finds nothing to change
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    const outputs = JSON.parse((await tf.run('output', '-json')).stdout) as Record<string, { value: string }>;
    const sm = new SecretsManagerClient({ endpoint: server.url, region: REGION, credentials: ROOT, maxAttempts: 1 });
    try {
      const v = await sm.send(new GetSecretValueCommand({ SecretId: 'ecr-pullthroughcache/docker-hub' }));
      assert.equal(v.ARN, outputs.hub_arn!.value);
      assert.equal(v.VersionId, outputs.hub_version!.value);
      assert.deepEqual(JSON.parse(v.SecretString!), { username: 'me', accessToken: 'dckr_pat_x' });
      const sealed = await sm.send(new GetSecretValueCommand({ SecretId: outputs.sealed_arn!.value }));
      assert.equal(Buffer.from(sealed.SecretBinary!).toString('utf8'), 'binary\u0001');
      // and destroy: the default 30-day window for one, at once for recovery_window_in_days = 0
      await tf.run('destroy', '-auto-approve');
      const hub = await sm.send(new DescribeSecretCommand({ SecretId: 'ecr-pullthroughcache/docker-hub' }));
      assert.ok(hub.DeletedDate instanceof Date);
      await assert.rejects(sm.send(new DescribeSecretCommand({ SecretId: 'app/sealed' })), { name: 'ResourceNotFoundException' });
    } finally {
      sm.destroy();
    }
  },
);
