/**
 * Lambda container-image functions against a private dockerd (as the tests start it: no bridge,
 * host network): cold start (CreateFunction → first Invoke answered, image loaded into the engine
 * and a container started), then warm RequestResponse invocations from 1 and 8 concurrent SDK
 * clients. The function is the test image's busybox bootstrap (two `wget` processes per event).
 * "simfra overhead" is each invocation's client-side latency minus the `Duration` Lambda's REPORT
 * line gives (from handing the event to the runtime until its answer): the gateway, SigV4, IAM,
 * the function lookup and the pool; a plain GetFunctionConfiguration is timed beside it as the
 * floor of any API call on the same machine. About 30 s in all.
 *
 *   node --import tsx bench/lambda.ts [--seconds 5]
 */
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { dockerUnavailable, startDocker } from '../test/support/docker.js';
import { makeExecutionRole, pushLambdaImage } from '../test/support/lambda.js';
import { percentile, ROOT, startSimfra, table } from './support.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;
const unavailable = dockerUnavailable();
if (unavailable) {
  console.log(`bench/lambda.ts skipped: ${unavailable}`);
  process.exit(0);
}

const docker = await startDocker();
const simfra = await startSimfra({ SIMFRA_DOCKER: 'true', DOCKER_HOST: docker.host });
const port = Number(new URL(simfra.url).port);
const client = () => new LambdaClient({ endpoint: simfra.url, region: 'us-east-1', credentials: ROOT, maxAttempts: 1 });
const lambda = client();

try {
  const role = await makeExecutionRole(simfra.url, 'bench-role');
  await pushLambdaImage(port, simfra.url, 'bench', 'v1', 'bench');

  // Cold start: create → Active (image loaded) → first answer (container started).
  const t0 = performance.now();
  await lambda.send(
    new CreateFunctionCommand({ FunctionName: 'bench', PackageType: 'Image', Code: { ImageUri: `000000000000.dkr.ecr.us-east-1.amazonaws.com/bench:v1` }, Role: role }),
  );
  for (;;) {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'bench' }));
    if (c.State === 'Active') break;
    if (c.State === 'Failed') throw new Error(c.StateReason);
    await new Promise((r) => setTimeout(r, 20));
  }
  const active = performance.now() - t0;
  await lambda.send(new InvokeCommand({ FunctionName: 'bench', Payload: Buffer.from('{}') }));
  const cold = performance.now() - t0;
  console.log(table([{ 'create → Active (ms)': active, 'create → first answer (ms)': cold }]));
  console.log();

  // The floor: a plain API call under the same load (SigV4, IAM, one SQLite read).
  const floor: number[] = [];
  const until = performance.now() + 2000;
  while (performance.now() < until) {
    const s = performance.now();
    await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'bench' }));
    floor.push(performance.now() - s);
  }
  floor.sort((a, b) => a - b);
  console.log(table([{ 'GetFunctionConfiguration p50 ms (1 client)': percentile(floor, 50), 'p99 ms': percentile(floor, 99) }]));
  console.log();

  const rows: Record<string, string | number>[] = [];
  for (const concurrency of [1, 8]) {
    const clients = Array.from({ length: concurrency }, client);
    // warm-up: one container per client
    await Promise.all(clients.map((c) => c.send(new InvokeCommand({ FunctionName: 'bench', Payload: Buffer.from('{}') }))));
    const e2e: number[] = [];
    const overhead: number[] = [];
    let errors = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < deadline) {
          const s = performance.now();
          const out = await c.send(new InvokeCommand({ FunctionName: 'bench', Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }));
          const ms = performance.now() - s;
          if (out.FunctionError) {
            errors++;
            continue;
          }
          e2e.push(ms);
          const m = /Duration: ([\d.]+) ms/.exec(Buffer.from(out.LogResult ?? '', 'base64').toString());
          if (m) overhead.push(ms - Number(m[1]));
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    e2e.sort((a, b) => a - b);
    overhead.sort((a, b) => a - b);
    rows.push({
      clients: concurrency,
      'invokes/s': e2e.length / elapsed,
      'p50 ms': percentile(e2e, 50),
      'p99 ms': percentile(e2e, 99),
      'overhead p50 ms': percentile(overhead, 50),
      'overhead p99 ms': percentile(overhead, 99),
      errors,
    });
    for (const c of clients) c.destroy();
  }
  console.log(table(rows));
} finally {
  lambda.destroy();
  await simfra.stop();
  await docker.stop();
}
