/**
 * ECS: control-plane calls per second (RegisterTaskDefinition, DescribeTasks) from 1 and 8
 * clients, simfra beside moto_server in the same run; then, with a private dockerd (as the tests
 * start it), RunTask → RUNNING latency with the image already in the engine (the pull check as
 * the execution role, the container created and started), polled every 10 ms with DescribeTasks.
 *
 *   node --import tsx bench/ecs.ts [--seconds 3] [--tasks 8]
 */
import { dockerUnavailable, startDocker } from '../test/support/docker.js';
import { EXECUTION_POLICY, makeTaskRole } from '../test/support/ecs.js';
import { pushLambdaImage } from '../test/support/lambda.js';
import { JsonClient, hasMoto, load, percentile, startMoto, startSimfra, table, type Target } from './support.js';

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const seconds = arg('--seconds', 3);
const taskCount = arg('--tasks', 8);
const T = 'AmazonEC2ContainerServiceV20141113';
const IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/bench:latest';

async function measure(target: Target): Promise<Record<string, string | number>[]> {
  const client = new JsonClient(target.url, 'ecs');
  const td = { family: 'bench', containerDefinitions: [{ name: 'app', image: IMAGE, memory: 128 }] };
  await client.call(`${T}.CreateCluster`, '{"clusterName":"default"}');
  await client.call(`${T}.RegisterTaskDefinition`, JSON.stringify(td));
  const run = await client.call(`${T}.RunTask`, JSON.stringify({ taskDefinition: 'bench', launchType: 'EC2' }));
  // moto places tasks only on registered container instances (its RunTask answers an error page
  // without one); DescribeTasks then reports a missing task, which still measures the call.
  let arn = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
  try {
    arn = (JSON.parse(run.body) as { tasks?: { taskArn: string }[] }).tasks?.[0]?.taskArn ?? arn;
  } catch {
    console.log(`${target.name}: RunTask answered ${run.status}; DescribeTasks is measured on a missing task`);
  }
  const ops: Record<string, () => Promise<boolean>> = {
    RegisterTaskDefinition: async () => (await client.call(`${T}.RegisterTaskDefinition`, JSON.stringify(td))).status === 200,
    DescribeTasks: async () => (await client.call(`${T}.DescribeTasks`, JSON.stringify({ tasks: [arn] }))).status === 200,
  };
  const rows: Record<string, string | number>[] = [];
  for (const [op, fn] of Object.entries(ops)) {
    for (const concurrency of [1, 8]) {
      const r = await load(fn, concurrency, seconds);
      rows.push({ server: target.name, op, clients: concurrency, 'ops/s': Math.round(r.opsPerSec), 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors });
    }
  }
  client.close();
  return rows;
}

const rows: Record<string, string | number>[] = [];
const simfra = await startSimfra();
rows.push(...(await measure(simfra)));
await simfra.stop();
if (hasMoto()) {
  const moto = await startMoto();
  rows.push(...(await measure(moto)));
  await moto.stop();
} else {
  console.log('moto_server not installed: skipping the side-by-side run');
}
console.log(table(rows));
console.log();

const unavailable = dockerUnavailable();
if (unavailable) {
  console.log(`RunTask → RUNNING skipped: ${unavailable}`);
} else {
  const docker = await startDocker();
  const s = await startSimfra({ SIMFRA_DOCKER: 'true', DOCKER_HOST: docker.host });
  try {
    const port = Number(new URL(s.url).port);
    await pushLambdaImage(port, s.url, 'bench', 'latest', 'bench');
    const role = await makeTaskRole(s.url, 'bench-exec', { managed: [EXECUTION_POLICY] });
    const client = new JsonClient(s.url, 'ecs');
    await client.call(
      `${T}.RegisterTaskDefinition`,
      JSON.stringify({
        family: 'run',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        executionRoleArn: role,
        containerDefinitions: [{ name: 'app', image: IMAGE, entryPoint: ['/bin/sh', '-c'], command: ['sleep 60'] }],
      }),
    );
    const toRunning = async (): Promise<{ ms: number; arn: string }> => {
      const t0 = performance.now();
      const r = await client.call(`${T}.RunTask`, JSON.stringify({ taskDefinition: 'run', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }));
      const arn = (JSON.parse(r.body) as { tasks: { taskArn: string }[] }).tasks[0]!.taskArn;
      for (;;) {
        const d = await client.call(`${T}.DescribeTasks`, JSON.stringify({ tasks: [arn] }));
        const status = (JSON.parse(d.body) as { tasks: { lastStatus: string; stoppedReason?: string }[] }).tasks[0]!;
        if (status.lastStatus === 'RUNNING') return { ms: performance.now() - t0, arn };
        if (status.lastStatus === 'STOPPED') throw new Error(status.stoppedReason);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    // The first run loads the image into the engine; the rest find it there.
    const first = await toRunning();
    const times: number[] = [];
    const arns = [first.arn];
    for (let i = 0; i < taskCount; i++) {
      const r = await toRunning();
      times.push(r.ms);
      arns.push(r.arn);
    }
    for (const a of arns) await client.call(`${T}.StopTask`, JSON.stringify({ task: a }));
    times.sort((a, b) => a - b);
    console.log(
      table([
        {
          'first RunTask → RUNNING ms (image load)': first.ms,
          [`warm RunTask → RUNNING p50 ms (n=${taskCount})`]: percentile(times, 50),
          'min ms': times[0]!,
          'max ms': times.at(-1)!,
        },
      ]),
    );
    client.close();
  } finally {
    await s.stop();
    await docker.stop();
  }
}
