import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DescribeRegistryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { ACCOUNT, startServer, tempDir, type TestServer } from '../support/server.js';

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
  skip_requesting_account_id  = false
  endpoints {
    ecr = "${endpoint}"
    sts = "${endpoint}"
  }
}
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

describe('Terraform (hashicorp/aws) manages the ECR replication configuration against simfra', async () => {
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
    dir = tempDir('simfra-tf-repl-');
    writeFileSync(join(dir.path, 'tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    writeFileSync(join(dir.path, 'main.tf'), MAIN_TF(server.url));
    await tf('init');
  });
  after(async () => {
    if (unavailable) return;
    dir.remove();
    await server.close();
  });

  it('apply, a plan without drift, destroy', { timeout: 300_000 }, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    // when
    await tf('apply', '-auto-approve');
    // then: DescribeRegistry shows the rules, and a second plan finds nothing to change
    const ecr = ecrClient(server.url);
    const held = await ecr.send(new DescribeRegistryCommand({}));
    assert.deepEqual(held.replicationConfiguration, {
      rules: [
        { destinations: [{ region: 'us-west-2', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' }] },
        { destinations: [{ region: 'eu-west-1', registryId: ACCOUNT }] },
      ],
    });
    const plan = await tf('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    assert.equal(plan.code, 0, plan.out);
    // and the rules go away again
    await tf('destroy', '-auto-approve');
    assert.deepEqual((await ecr.send(new DescribeRegistryCommand({}))).replicationConfiguration, { rules: [] });
    ecr.destroy();
  });
});
