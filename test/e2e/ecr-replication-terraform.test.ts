import assert from 'node:assert/strict';
import { DescribeRegistryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { ACCOUNT } from '../support/server.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['ecr', 'sts'], { skip_credentials_validation: true, skip_requesting_account_id: false })}
# The resource takes its id from the caller's account (sts:GetCallerIdentity), so the account id is asked for.
resource "aws_ecr_replication_configuration" "this" {
  replication_configuration {
    rule {
      destination {
        region      = "us-west-2"
        registry_id = "${ACCOUNT}"
      }
      repository_filter {
        filter      = "prod"
        filter_type = "PREFIX_MATCH"
      }
    }
    rule {
      destination {
        region      = "eu-west-1"
        registry_id = "${ACCOUNT}"
      }
    }
  }
}
`;

describeTerraform(
  'Terraform (hashicorp/aws) manages the ECR replication configuration against simfra',
  { dirPrefix: 'simfra-tf-repl-', mainTf: MAIN_TF },
  { name: 'apply, a plan without drift, destroy', timeout: 300_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: DescribeRegistry shows the rules, and a second plan finds nothing to change
    const ecr = ecrClient(server.url);
    const held = await ecr.send(new DescribeRegistryCommand({}));
    assert.deepEqual(held.replicationConfiguration, {
      rules: [
        { destinations: [{ region: 'us-west-2', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }] },
        { destinations: [{ region: 'eu-west-1', registryId: ACCOUNT }] },
      ],
    });
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    // and the rules go away again
    await tf.run('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribeRegistryCommand({}))).replicationConfiguration, { rules: [] });
    ecr.destroy();
  },
);
