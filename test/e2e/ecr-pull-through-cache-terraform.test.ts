import assert from 'node:assert/strict';
import { DescribePullThroughCacheRulesCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { ACCOUNT } from '../support/server.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['ecr', 'sts', 'secretsmanager'], { skip_credentials_validation: true, skip_requesting_account_id: true })}
resource "aws_ecr_pull_through_cache_rule" "quay" {
  ecr_repository_prefix = "quay"
  upstream_registry_url = "quay.io"
}
resource "aws_ecr_pull_through_cache_rule" "west" {
  ecr_repository_prefix      = "west"
  upstream_registry_url      = "${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com"
  upstream_repository_prefix = "team"
}
resource "aws_secretsmanager_secret" "hub" {
  name                    = "ecr-pullthroughcache/hub"
  recovery_window_in_days = 0
}
resource "aws_secretsmanager_secret_version" "hub" {
  secret_id     = aws_secretsmanager_secret.hub.id
  secret_string = jsonencode({ username = "someone", accessToken = "dckr_pat_example" })
}
resource "aws_ecr_pull_through_cache_rule" "hub" {
  ecr_repository_prefix = "hub"
  upstream_registry_url = "registry-1.docker.io"
  credential_arn        = aws_secretsmanager_secret.hub.arn
  depends_on            = [aws_secretsmanager_secret_version.hub]
}
`;

describeTerraform(
  'Terraform (hashicorp/aws) manages pull-through cache rules against simfra',
  { dirPrefix: 'simfra-tf-ptc-', mainTf: MAIN_TF },
  { name: 'apply, a plan without drift, destroy', timeout: 300_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: simfra holds the three rules, and a second plan finds nothing to change
    const ecr = ecrClient(server.url);
    const held = await ecr.send(new DescribePullThroughCacheRulesCommand({}));
    assert.deepEqual(
      held.pullThroughCacheRules?.map((r) => [r.ecrRepositoryPrefix, r.upstreamRegistry]),
      [
        ['hub', 'docker-hub'],
        ['quay', 'quay'],
        ['west', 'ecr'],
      ],
    );
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    // and everything goes away again
    await tf.run('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribePullThroughCacheRulesCommand({}))).pullThroughCacheRules, []);
    ecr.destroy();
  },
);
