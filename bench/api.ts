/**
 * ECR control-plane throughput and latency, simfra beside moto_server in the same run:
 * signed DescribeRepositories / CreateRepository / GetAuthorizationToken, 1 and 8 concurrent
 * clients, plus start-up time to the first answered request.
 *
 *   node --import tsx bench/api.ts [--seconds 5]
 */
import { JsonClient, hasMoto, load, startMoto, startSimfra, table, type Target } from './support.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';

async function measure(target: Target): Promise<Record<string, string | number>[]> {
  const client = new JsonClient(target.url, 'ecr');
  // a registry with 50 repositories to describe
  for (let i = 0; i < 50; i++) await client.call(`${TARGET}.CreateRepository`, JSON.stringify({ repositoryName: `seed/r${i}` }));
  const rows: Record<string, string | number>[] = [];
  let n = 0;
  const ops: Record<string, () => Promise<boolean>> = {
    DescribeRepositories: async () => (await client.call(`${TARGET}.DescribeRepositories`, '{"maxResults":20}')).status === 200,
    CreateRepository: async () =>
      (await client.call(`${TARGET}.CreateRepository`, JSON.stringify({ repositoryName: `bench/${target.name}-${process.pid}-${n++}` }))).status === 200,
    GetAuthorizationToken: async () => (await client.call(`${TARGET}.GetAuthorizationToken`, '{}')).status === 200,
  };
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
const startups: Record<string, string | number>[] = [];
const simfra = await startSimfra();
startups.push({ server: 'simfra', 'startup ms (spawn → first answer)': Math.round(simfra.startupMs) });
rows.push(...(await measure(simfra)));
await simfra.stop();
if (hasMoto()) {
  const moto = await startMoto();
  startups.push({ server: 'moto', 'startup ms (spawn → first answer)': Math.round(moto.startupMs) });
  rows.push(...(await measure(moto)));
  await moto.stop();
} else {
  console.log('moto_server not installed: skipping the side-by-side run');
}
console.log(table(startups));
console.log();
console.log(table(rows));
const ratio = (op: string, c: number) => {
  const s = rows.find((r) => r.server === 'simfra' && r.op === op && r.clients === c);
  const m = rows.find((r) => r.server === 'moto' && r.op === op && r.clients === c);
  return s && m ? `${((s['ops/s'] as number) / Math.max(1, m['ops/s'] as number)).toFixed(1)}×` : 'n/a';
};
console.log();
console.log(
  table(
    ['DescribeRepositories', 'CreateRepository', 'GetAuthorizationToken'].flatMap((op) =>
      [1, 8].map((c) => ({ op, clients: c, 'simfra/moto': ratio(op, c) })),
    ),
  ),
);
