/**
 * Terraform (hashicorp/aws) manages an ECS cluster, a Fargate task definition whose image is in
 * simfra's ECR, and a service: apply, a second plan without drift, destroy.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DescribeServicesCommand, ListClustersCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { ecsClient } from '../support/ecs.js';
import { startServer, tempDir, type TestServer } from '../support/server.js';

const run = promisify(execFile);
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
  region                  = "us-east-1"
  access_key              = "AKIAIOSFODNN7EXAMPLE"
  secret_key              = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_metadata_api_check = true
  endpoints {
    iam = "${endpoint}"
    sts = "${endpoint}"
    ecr = "${endpoint}"
    ecs = "${endpoint}"
  }
}
resource "aws_iam_role" "exec" {
  name = "ecs-exec"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_iam_role_policy_attachment" "exec" {
  role       = aws_iam_role.exec.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}
resource "aws_ecr_repository" "app" { name = "app" }
resource "aws_ecs_cluster" "main" {
  name = "main"
  tags = { team = "platform" }
}
resource "aws_ecs_task_definition" "app" {
  family                   = "app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = aws_iam_role.exec.arn
  container_definitions = jsonencode([{
    name         = "app"
    image        = "\${aws_ecr_repository.app.repository_url}:latest"
    essential    = true
    command      = ["sh", "-c", "sleep 300"]
    environment  = [{ name = "MODE", value = "tf" }]
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
  }])
  tags = { team = "platform" }
}
resource "aws_ecs_service" "app" {
  name            = "app"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.app.arn
  desired_count   = 0
  launch_type     = "FARGATE"
  network_configuration {
    subnets = ["subnet-12345678"]
  }
}
`;

describe('Terraform (hashicorp/aws) manages ECS against simfra', async () => {
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
    dir = tempDir('simfra-tf-');
    writeFileSync(join(dir.path, 'tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    writeFileSync(join(dir.path, 'main.tf'), MAIN_TF(server.url));
    await tf('init');
  });
  after(async () => {
    if (unavailable) return;
    dir.remove();
    await server.close();
  });

  it('aws_ecs_cluster, aws_ecs_task_definition, aws_ecs_service: apply, no drift, destroy', { timeout: 300_000 }, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    // when
    await tf('apply', '-auto-approve');
    // then
    const ecs = ecsClient(server.url);
    const { services } = await ecs.send(new DescribeServicesCommand({ cluster: 'main', services: ['app'] }));
    assert.equal(services![0]!.taskDefinition, 'arn:aws:ecs:us-east-1:000000000000:task-definition/app:1');
    const plan = await tf('plan', '-detailed-exitcode').then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    assert.equal(plan.code, 0, plan.out);
    // and everything goes away again
    await tf('destroy', '-auto-approve');
    assert.deepEqual((await ecs.send(new ListClustersCommand({}))).clusterArns, []);
    assert.deepEqual((await ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns, []);
    ecs.destroy();
  });
});
