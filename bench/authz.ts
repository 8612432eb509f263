/**
 * What IAM enforcement costs an API call: signed DescribeRepositories (one named repository, so
 * the repository policy is looked up) as the account root, which needs no policy evaluation
 * beyond resource-policy denies, versus an IAM user whose access comes from an attached managed
 * policy and whose repository carries a repository policy, and a role session with a session
 * policy; then registry manifest GETs with a root token versus the IAM user's token; 1 and 8
 * concurrent clients, a fixed duration each after a warm-up (about 50 s in all). Last, the
 * authorizer's decision alone, in process.
 *
 *   node --import tsx bench/authz.ts [--seconds 4]
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { PolicyAuthorizer, type AuthzSubject } from '../src/iam/authorize.js';
import { IamDirectory } from '../src/iam/directory.js';
import { principalOfKey } from '../src/iam/credentials.js';
import { rootPrincipal, type Principal } from '../src/iam/principal.js';
import { randomIds } from '../src/ids.js';
import { systemClock } from '../src/clock.js';
import { ecrResources } from '../src/services/ecr/policies.js';
import { openSqliteMetaStore } from '../src/store/meta/sqlite.js';
import { Sealer } from '../src/store/sealing.js';
import { JsonClient, load, ROOT, startSimfra, table } from './support.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 4;
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const ACCOUNT = '000000000000';
const doc = (statements: readonly Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

const simfra = await startSimfra();
// Never leave the server behind, whatever happens below.
process.on('exit', () => simfra.child.kill());
const root = new JsonClient(simfra.url, 'ecr');
await root.call(`${TARGET}.CreateRepository`, JSON.stringify({ repositoryName: 'app' }));

// An IAM user with ReadOnly attached, plus a repository policy on `app` (three statements, one
// with a condition) that the evaluation has to walk for every request.
const iam = new IAMClient({ endpoint: simfra.url, region: 'us-east-1', credentials: ROOT, maxAttempts: 1 });
await iam.send(new CreateUserCommand({ UserName: 'bench' }));
await iam.send(new AttachUserPolicyCommand({ UserName: 'bench', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly' }));
await iam.send(new PutUserPolicyCommand({ UserName: 'bench', PolicyName: 'assume', PolicyDocument: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]) }));
const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench' }))).AccessKey!;
const userCreds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
const repositoryPolicy = doc([
  { Sid: 'Pull', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] },
  { Sid: 'Describe', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bench` }, Action: 'ecr:Describe*', Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } },
  { Sid: 'NoDelete', Effect: 'Deny', Principal: '*', Action: 'ecr:DeleteRepository' },
]);
const set = await root.call(`${TARGET}.SetRepositoryPolicy`, JSON.stringify({ repositoryName: 'app', policyText: repositoryPolicy }));
if (set.status !== 200) throw new Error(`SetRepositoryPolicy: ${set.body}`);

// A role session with ReadOnly and a session policy.
await iam.send(
  new CreateRoleCommand({
    RoleName: 'bench-role',
    AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }]),
  }),
);
await iam.send(new AttachRolePolicyCommand({ RoleName: 'bench-role', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly' }));
iam.destroy();
const sts = new STSClient({ endpoint: simfra.url, region: 'us-east-1', credentials: userCreds, maxAttempts: 1 });
const assumed = await sts.send(
  new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${ACCOUNT}:role/bench-role`,
    RoleSessionName: 'bench',
    DurationSeconds: 3600,
    Policy: doc([{ Effect: 'Allow', Action: 'ecr:Describe*', Resource: '*' }]),
  }),
);
sts.destroy();
const c = assumed.Credentials!;

// The signer adds X-Amz-Security-Token when the credentials carry a session token.
const sessionCreds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };

const principals: [string, JsonClient][] = [
  ['root', root],
  ['IAM user: managed policy + repository policy', new JsonClient(simfra.url, 'ecr', userCreds)],
  ['role session + session policy + repository policy', new JsonClient(simfra.url, 'ecr', sessionCreds)],
];
const body = JSON.stringify({ repositoryNames: ['app'] });
const rows: Record<string, string | number>[] = [];
for (const [name, client] of principals) {
  const probe = await client.call(`${TARGET}.DescribeRepositories`, body);
  if (probe.status !== 200) throw new Error(`${name}: ${probe.body}`);
}
// warm-up (JIT, caches) so the first row is not penalised
await load(async () => (await root.call(`${TARGET}.DescribeRepositories`, body)).status === 200, 8, 2);
// rows interleaved by principal, so background noise spreads over all of them
for (const concurrency of [1, 8]) {
  for (const [name, client] of principals) {
    const r = await load(async () => (await client.call(`${TARGET}.DescribeRepositories`, body)).status === 200, concurrency, seconds);
    rows.push({ principal: name, clients: concurrency, 'ops/s': Math.round(r.opsPerSec), 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors });
  }
}

// Registry: manifest GETs with a token of root vs of the IAM user (ReadOnly + repository policy).
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const port = Number(new URL(simfra.url).port);
function http(method: string, path: string, auth: string, body?: Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, agent, headers: { authorization: auth, ...headers, ...(body ? { 'content-length': body.length } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
async function basicAuth(client: JsonClient): Promise<string> {
  const res = await client.call(`${TARGET}.GetAuthorizationToken`, '{}');
  const data = JSON.parse(res.body) as { authorizationData: { authorizationToken: string }[] };
  return `Basic ${data.authorizationData[0]!.authorizationToken}`;
}
const rootAuth = await basicAuth(root);
const userAuth = await basicAuth(principals[1]![1]);
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const layer = randomBytes(4096);
for (const blob of [config, layer]) {
  const status = await http('POST', `/v2/app/blobs/uploads/?digest=${sha(blob)}`, rootAuth, blob, { 'content-type': 'application/octet-stream' });
  if (status !== 201) throw new Error(`blob push: ${status}`);
}
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
  }),
);
const put = await http('PUT', '/v2/app/manifests/v1', rootAuth, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
if (put !== 201) throw new Error(`manifest push: ${put}`);
const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
await load(async () => (await http('GET', '/v2/app/manifests/v1', rootAuth, undefined, accept)) === 200, 8, 2);
const registryRows: Record<string, string | number>[] = [];
for (const concurrency of [1, 8]) {
  for (const [name, auth] of [
    ['root token', rootAuth],
    ['IAM user token: managed policy + repository policy', userAuth],
  ] as const) {
    const r = await load(async () => (await http('GET', '/v2/app/manifests/v1', auth, undefined, accept)) === 200, concurrency, seconds);
    registryRows.push({ principal: name, clients: concurrency, 'GETs/s': Math.round(r.opsPerSec), 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors });
  }
}
agent.destroy();
for (const [, client] of principals) client.close();
await simfra.stop();
console.log(`DescribeRepositories (one named repository), ${seconds} s per row, simfra as its own process`);
console.log(table(rows));
console.log();
console.log(`Registry GET /v2/app/manifests/v1, ${seconds} s per row`);
console.log(table(registryRows));

// The decision alone, in process: the same principals and policies, PolicyAuthorizer.authorize()
// for ecr:DescribeRepositories on the repository (resource-policy lookups in SQLite included).
const meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({}));
const now = systemClock.now();
await meta.accounts.create({ accountId: ACCOUNT, name: 'bench', createdAt: now }, { accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey, owner: { kind: 'root' }, status: 'Active', createdAt: now });
await meta.repositories.create({ accountId: ACCOUNT, region: 'us-east-1', name: 'app', createdAt: now, imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [], scanOnPush: false, encryptionType: 'AES256', tags: [] });
await meta.resourcePolicies.putRepositoryPolicy({ accountId: ACCOUNT, region: 'us-east-1', name: 'app' }, repositoryPolicy);
const directory = new IamDirectory(meta, randomIds, systemClock);
const authorizer = new PolicyAuthorizer(directory);
authorizer.registerResources('arn:aws:ecr:', ecrResources({ meta }));
await directory.createUser(ACCOUNT, { userName: 'bench' });
await directory.attachPolicy('user', ACCOUNT, 'bench', 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
const benchKey = await directory.createAccessKey(ACCOUNT, 'bench');
const userPrincipal = principalOfKey((await meta.accessKeys.get(benchKey.accessKeyId))!);
const denied: Principal = { ...userPrincipal, userName: 'nobody', arn: `arn:aws:iam::${ACCOUNT}:user/nobody` } as Principal;
const request = [{ action: 'ecr:DescribeRepositories', resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app` }];
const decisions: Record<string, string | number>[] = [];
for (const [name, principal, allowed] of [
  ['root', rootPrincipal(ACCOUNT), true],
  ['IAM user: managed policy + repository policy', userPrincipal, true],
  ['IAM user without policies (denied)', denied, false],
] as const) {
  const subject: AuthzSubject = { principal, sourceIp: '127.0.0.1', secureTransport: false, now: systemClock.now() };
  const once = () => authorizer.authorize(subject, request).then(() => true, () => false);
  for (let i = 0; i < 2000; i++) await once();
  const n = 50_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if ((await once()) !== allowed) throw new Error(`${name}: unexpected decision`);
  const us = ((performance.now() - t0) * 1000) / n;
  decisions.push({ principal: name, 'µs per decision': Math.round(us * 10) / 10, 'decisions/s': Math.round(1e6 / us) });
}
await meta.close();
console.log();
console.log('PolicyAuthorizer.authorize() in process, 50 000 decisions each');
console.log(table(decisions));
