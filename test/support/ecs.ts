import { DescribeTasksCommand, ECSClient, type Task } from '@aws-sdk/client-ecs';
import { AttachRolePolicyCommand, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { Credentials } from './clients.js';
import { iamClient } from './iam.js';
import { ROOT, REGION } from './server.js';

export function ecsClient(url: string, credentials: Credentials = ROOT, region = REGION): ECSClient {
  return new ECSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

export const ECS_TASKS_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export const EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

/** A role trusting ecs-tasks.amazonaws.com with managed and inline policies. */
export async function makeTaskRole(
  url: string,
  name: string,
  opts: { managed?: string[]; inline?: string; trust?: string; admin?: Credentials } = {},
): Promise<string> {
  const iam = iamClient(url, opts.admin ?? ROOT);
  try {
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: opts.trust ?? ECS_TASKS_TRUST }));
    for (const arn of opts.managed ?? []) await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
    if (opts.inline) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: opts.inline }));
    return Role!.Arn!;
  } finally {
    iam.destroy();
  }
}

/** Polls DescribeTasks until the task's lastStatus is `status` (or the time is up). */
export async function waitForTask(ecs: ECSClient, cluster: string, taskArn: string, status: string, timeoutMs = 20_000): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const t = tasks?.[0];
    if (t?.lastStatus === status) return t;
    if (Date.now() > deadline) throw new Error(`task ${taskArn} is ${t?.lastStatus} (${t?.stoppedReason ?? ''}), not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
