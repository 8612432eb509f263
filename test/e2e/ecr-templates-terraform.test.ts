import assert from 'node:assert/strict';
import { DescribeRepositoryCreationTemplatesCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { describeTerraform, providerHcl } from '../support/terraform.js';

const MAIN_TF = (endpoint: string) => `${providerHcl(endpoint, ['ecr', 'sts'], { skip_credentials_validation: true, skip_requesting_account_id: true })}
resource "aws_ecr_repository_creation_template" "team" {
  prefix               = "team/web"
  description          = "made by terraform"
  image_tag_mutability = "IMMUTABLE"
  applied_for          = ["PULL_THROUGH_CACHE", "REPLICATION"]
  encryption_configuration {
    encryption_type = "AES256"
  }
  repository_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Pull", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] }]
  })
  lifecycle_policy = jsonencode({
    rules = [{ rulePriority = 1, description = "untagged", selection = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }, action = { type = "expire" } }]
  })
  resource_tags = { team = "web" }
}
resource "aws_ecr_repository_creation_template" "root" {
  prefix      = "ROOT"
  applied_for = ["REPLICATION"]
}
`;

describeTerraform(
  'Terraform (hashicorp/aws) manages repository creation templates against simfra',
  { dirPrefix: 'simfra-tf-rct-', mainTf: MAIN_TF },
  { name: 'apply, a plan without drift, destroy', timeout: 300_000 },
  async ({ server, tf }) => {
    // when
    await tf.run('apply', '-auto-approve');
    // then: simfra holds both templates, and a second plan finds nothing to change
    const ecr = ecrClient(server.url);
    const held = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    assert.deepEqual(held.repositoryCreationTemplates?.map((x) => x.prefix), ['ROOT', 'team/web']);
    assert.deepEqual(held.repositoryCreationTemplates?.[1]?.resourceTags, [{ Key: 'team', Value: 'web' }]);
    const plan = await tf.plan();
    assert.equal(plan.code, 0, plan.out);
    // and everything goes away again
    await tf.run('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}))).repositoryCreationTemplates, []);
    ecr.destroy();
  },
);
