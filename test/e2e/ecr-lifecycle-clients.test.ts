/**
 * Lifecycle policies through the other real clients: the aws CLI (v1), boto3 and Terraform's
 * aws_ecr_lifecycle_policy (apply, a plan without drift, destroy).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { runJob } from '../support/admin.js';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { buildImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';
import { providerHcl, TerraformDir, terraformUnavailable } from '../support/terraform.js';
import { hasTool } from '../support/tools.js';

const POLICY = JSON.stringify({
  rules: [
    { rulePriority: 1, description: 'untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } },
    { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 }, action: { type: 'expire' } },
  ],
});
const BAD = JSON.stringify({
  rules: [
    { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
  ],
});
const BAD_MESSAGE =
  "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: Only one rule can select Untagged images per storage class.'";

describe('lifecycle policies through the aws CLI, boto3 and Terraform', async () => {
  const hasCli = await hasTool('aws', '--version');
  let server: TestServer;

  before(async () => {
    server = await startServer({ ecrLifecycleIntervalSeconds: 0 });
    const ecr = ecrClient(server.url);
    for (const repositoryName of ['cli/app', 'boto/app', 'cli/expire']) await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    ecr.destroy();
  });
  after(() => server.close());

  it('aws CLI: put, get, preview, delete, and ECR’s error texts', async (t) => {
    if (!hasCli) return t.skip('aws CLI not installed');
    // when
    const put = await awsCli(server.url, ['ecr', 'put-lifecycle-policy', '--repository-name', 'cli/app', '--lifecycle-policy-text', POLICY]);
    const got = await awsCli(server.url, ['ecr', 'get-lifecycle-policy', '--repository-name', 'cli/app']);
    const started = await awsCli(server.url, ['ecr', 'start-lifecycle-policy-preview', '--repository-name', 'cli/app']);
    const preview = await awsCli(server.url, ['ecr', 'get-lifecycle-policy-preview', '--repository-name', 'cli/app']);
    const bad = await awsCli(server.url, ['ecr', 'put-lifecycle-policy', '--repository-name', 'cli/app', '--lifecycle-policy-text', BAD]);
    const deleted = await awsCli(server.url, ['ecr', 'delete-lifecycle-policy', '--repository-name', 'cli/app']);
    const gone = await awsCli(server.url, ['ecr', 'get-lifecycle-policy', '--repository-name', 'cli/app']);
    // then
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json(), { registryId: ACCOUNT, repositoryName: 'cli/app', lifecyclePolicyText: POLICY });
    assert.equal(got.json().lifecyclePolicyText, POLICY);
    assert.equal(started.json().status, 'IN_PROGRESS');
    assert.deepEqual(
      { status: preview.json().status, results: preview.json().previewResults, summary: preview.json().summary },
      { status: 'COMPLETE', results: [], summary: { expiringImageTotalCount: 0 } },
    );
    assert.equal(bad.code, 255);
    assert.match(bad.stderr, /An error occurred \(InvalidParameterException\) when calling the PutLifecyclePolicy operation: /);
    assert.ok(bad.stderr.includes(BAD_MESSAGE), bad.stderr);
    assert.equal(deleted.json().lifecyclePolicyText, POLICY);
    assert.ok(
      gone.stderr.includes(
        `An error occurred (LifecyclePolicyNotFoundException) when calling the GetLifecyclePolicy operation: Lifecycle policy does not exist for the repository with name 'cli/app' in the registry with id '${ACCOUNT}'`,
      ),
      gone.stderr,
    );
  });

  it('aws CLI: a preview paged by the CLI, then the evaluation it foretold', async (t) => {
    if (!hasCli) return t.skip('aws CLI not installed');
    // given: three untagged images, a policy keeping one
    const reg = new Registry(server.port, await loginPassword(server.url));
    const digests: string[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const img = await buildImage({ layers: 1, layerSize: 100, seed: 7000 + seed });
      digests.push(await reg.pushImage('cli/expire', img.digest, img));
      await new Promise((r) => setTimeout(r, 5)); // distinct push times
    }
    const keepOne = JSON.stringify({ rules: [{ rulePriority: 1, description: 'keep one untagged', selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] });
    await awsCli(server.url, ['ecr', 'put-lifecycle-policy', '--repository-name', 'cli/expire', '--lifecycle-policy-text', keepOne]);
    // when: the CLI pages one result at a time, following nextToken
    await awsCli(server.url, ['ecr', 'start-lifecycle-policy-preview', '--repository-name', 'cli/expire']);
    const preview = await awsCli(server.url, ['ecr', 'get-lifecycle-policy-preview', '--repository-name', 'cli/expire', '--page-size', '1']);
    await runJob(server.url, 'ecr-lifecycle');
    const left = await awsCli(server.url, ['ecr', 'list-images', '--repository-name', 'cli/expire']);
    // then
    assert.equal(preview.code, 0, preview.stderr);
    const results = preview.json<{ previewResults: { imageDigest: string; action: { type: string } }[] }>().previewResults;
    assert.deepEqual(results.map((r) => [r.imageDigest, r.action.type]), [[digests[0], 'EXPIRE'], [digests[1], 'EXPIRE']]);
    assert.deepEqual(left.json<{ imageIds: unknown[] }>().imageIds, [{ imageDigest: digests[2] }]);
  });

  it('boto3: put, get, preview, and the error code and message', async () => {
    // when
    const out = (await boto3(
      server.url,
      'ecr',
      `
client.put_lifecycle_policy(repositoryName='boto/app', lifecyclePolicyText=${JSON.stringify(POLICY)})
got = client.get_lifecycle_policy(repositoryName='boto/app')
client.start_lifecycle_policy_preview(repositoryName='boto/app')
client.get_waiter('lifecycle_policy_preview_complete').wait(repositoryName='boto/app', WaiterConfig={'Delay': 1, 'MaxAttempts': 3})
preview = client.get_lifecycle_policy_preview(repositoryName='boto/app')
try:
    client.put_lifecycle_policy(repositoryName='boto/app', lifecyclePolicyText=${JSON.stringify(BAD)})
    err = None
except ClientError as e:
    err = [e.response['Error']['Code'], e.response['Error']['Message']]
out({'text': got['lifecyclePolicyText'], 'status': preview['status'], 'err': err})
`,
    )) as { text: string; status: string; err: [string, string] };
    // then
    assert.deepEqual(out, { text: POLICY, status: 'COMPLETE', err: ['InvalidParameterException', BAD_MESSAGE] });
  });

  describe('Terraform aws_ecr_lifecycle_policy', async () => {
    const unavailable = await terraformUnavailable();
    let tf: TerraformDir;

    before(async () => {
      if (unavailable) return;
      tf = await TerraformDir.init(
        'simfra-tf-lifecycle-',
        `${providerHcl(server.url, ['ecr', 'sts'], { skip_requesting_account_id: true, skip_credentials_validation: true })}
resource "aws_ecr_repository" "app" { name = "tf/app" }
resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 14 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 14 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last 30 release images"
        selection    = { tagStatus = "tagged", tagPatternList = ["release-*"], countType = "imageCountMoreThan", countNumber = 30 }
        action       = { type = "expire" }
      }
    ]
  })
}
`,
      );
    });
    after(() => {
      if (!unavailable) tf.remove();
    });

    it('apply, a plan without drift, destroy', { timeout: 300_000 }, async (t) => {
      if (unavailable) return t.skip(unavailable);
      // when
      await tf.run('apply', '-auto-approve');
      // then: the policy is stored, and a second plan finds nothing to change
      const ecr = ecrClient(server.url);
      const stored = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'tf/app' }));
      assert.equal((JSON.parse(stored.lifecyclePolicyText!) as { rules: unknown[] }).rules.length, 2);
      const plan = await tf.plan();
      assert.equal(plan.code, 0, plan.out);
      // and destroy removes it
      await tf.run('destroy', '-auto-approve');
      await assert.rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'tf/app' })), { name: 'RepositoryNotFoundException' });
      ecr.destroy();
    });
  });
});
