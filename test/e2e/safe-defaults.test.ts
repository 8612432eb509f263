/**
 * Safe by default (issue 8, items 1): the admin API answers only the default account's root
 * credentials as a SigV4 signature (what `curl --aws-sigv4` makes) and no web page; no front
 * answers a Host name simfra does not serve (DNS rebinding); simfra binds loopback unless told.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminFetch } from '../support/admin.js';
import { ROOT, spawnServer, startServer, type TestServer } from '../support/server.js';
import { hasTool, run } from '../support/tools.js';

const SIGV4 = 'aws:amz:us-east-1:simfra';

/** curl with the given arguments; the status code and body. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const nl = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) };
}

describe('admin API: root credentials as a SigV4 signature, no browsers (curl)', async () => {
  const haveCurl = await hasTool('curl');
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('answers curl --aws-sigv4 with the root key: list, create, read', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    // when
    const list = await curl(['--aws-sigv4', SIGV4, '--user', `${ROOT.accessKeyId}:${ROOT.secretAccessKey}`, `${server.url}/_simfra/accounts`]);
    const created = await curl([
      '--aws-sigv4', SIGV4, '--user', `${ROOT.accessKeyId}:${ROOT.secretAccessKey}`,
      '-X', 'POST', '-d', '{"accountId":"444455556666","name":"by-curl"}', `${server.url}/_simfra/accounts`,
    ]);
    const got = await curl(['--aws-sigv4', 'aws:amz:eu-west-3:simfra', '--user', `${ROOT.accessKeyId}:${ROOT.secretAccessKey}`, `${server.url}/_simfra/accounts/444455556666`]);
    // then
    assert.equal(list.status, 200, list.body);
    assert.deepEqual((JSON.parse(list.body) as { accounts: { accountId: string }[] }).accounts.map((a) => a.accountId), ['000000000000']);
    assert.equal(created.status, 201, created.body);
    assert.match(JSON.parse(created.body).accessKeyId as string, /^AKIA/);
    assert.equal(got.status, 200, got.body);
  });

  it('refuses an unsigned request and says how to sign', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    // when
    const res = await curl(['-X', 'POST', '-d', '{"accountId":"777788889999"}', `${server.url}/_simfra/accounts`]);
    // then
    assert.equal(res.status, 401);
    const body = JSON.parse(res.body) as { error: string; message: string };
    assert.equal(body.error, 'Unauthorized');
    assert.match(body.message, /curl --aws-sigv4 "aws:amz:us-east-1:simfra"/);
    assert.equal((await adminFetch(server.url, '/accounts/777788889999')).status, 404);
    const job = await curl(['-X', 'POST', `${server.url}/_simfra/jobs/upload-purge`]);
    assert.equal(job.status, 401, job.body);
  });

  it('refuses a wrong secret, another account’s root, and a signature for another service', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    // given
    const other = await adminFetch(server.url, '/accounts', { body: '{"accountId":"121212121212"}' });
    const key = (await other.json()) as { accessKeyId: string; secretAccessKey: string };
    // when
    const wrongSecret = await curl(['--aws-sigv4', SIGV4, '--user', `${ROOT.accessKeyId}:${'x'.repeat(40)}`, `${server.url}/_simfra/accounts`]);
    const otherRoot = await curl(['--aws-sigv4', SIGV4, '--user', `${key.accessKeyId}:${key.secretAccessKey}`, `${server.url}/_simfra/accounts`]);
    const ecrScope = await curl(['--aws-sigv4', 'aws:amz:us-east-1:ecr', '--user', `${ROOT.accessKeyId}:${ROOT.secretAccessKey}`, `${server.url}/_simfra/accounts`]);
    // then
    assert.equal(wrongSecret.status, 401, wrongSecret.body);
    assert.match(JSON.parse(wrongSecret.body).message as string, /^The request signature we calculated does not match/);
    assert.equal(otherRoot.status, 403, otherRoot.body);
    assert.equal(
      JSON.parse(otherRoot.body).message,
      'arn:aws:iam::121212121212:root may not use the admin API: only the root credentials of account 000000000000 may.',
    );
    assert.equal(ecrScope.status, 403, ecrScope.body);
    assert.match(JSON.parse(ecrScope.body).message as string, /^Admin requests are signed for the service 'simfra', not 'ecr'/);
  });

  it('refuses what a web page can send: a cross-origin text/plain POST, even signed', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    // when: what a browser sends for a form-like fetch() from another site
    const simple = await curl([
      '-X', 'POST', '-H', 'Content-Type: text/plain', '-H', 'Origin: https://attacker.example', '-H', 'Sec-Fetch-Site: cross-site',
      '-d', '{"accountId":"565656565656"}', `${server.url}/_simfra/accounts`,
    ]);
    const signed = await adminFetch(server.url, '/accounts', { body: '{"accountId":"565656565656"}', headers: { origin: 'https://attacker.example' } });
    const fetchMeta = await adminFetch(server.url, '/accounts', { headers: { 'sec-fetch-site': 'same-site' } });
    // then
    assert.equal(simple.status, 403, simple.body);
    assert.equal(JSON.parse(simple.body).message, 'The admin API does not answer requests from web pages (Origin: https://attacker.example).');
    assert.equal(signed.status, 403);
    assert.equal(fetchMeta.status, 403);
    assert.equal((await adminFetch(server.url, '/accounts/565656565656')).status, 404);
  });
});

describe('Host names: only those simfra serves are answered, on every front (curl)', async () => {
  const haveCurl = await hasTool('curl');
  let server: TestServer;
  before(async () => {
    server = await startServer({ allowedHosts: ['simfra.internal'] });
  });
  after(() => server.close());

  const root = ['--aws-sigv4', SIGV4, '--user', `${ROOT.accessKeyId}:${ROOT.secretAccessKey}`];

  it('refuses a rebinding attacker’s Host on the admin API, the AWS API, the registry and layer downloads', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    const host = ['-H', `Host: attacker.example:${server.port}`];
    // when
    const admin = await curl([...host, ...root, `${server.url}/_simfra/accounts`]);
    const json = await curl([
      ...host, '-X', 'POST', '-H', 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      '-H', 'Content-Type: application/x-amz-json-1.1', '-d', '{}', `${server.url}/`,
    ]);
    const query = await curl([...host, '-d', 'Action=ListUsers&Version=2010-05-08', `${server.url}/`]);
    const registry = await curl([...host, `${server.url}/v2/`]);
    const layer = await curl([...host, `${server.url}/ecr-layers/000000000000/us-east-1/r/sha256:00?X-Simfra-Expires=1`]);
    // then
    const message = `Host 'attacker.example:${server.port}' is not a name this simfra serves: it answers localhost, loopback addresses, registry hosts ({account}.dkr.ecr.{region}.localhost), its bind address and the names in SIMFRA_ALLOWED_HOSTS. Other names are refused so that no web page can reach simfra through DNS rebinding.`;
    assert.equal(admin.status, 403);
    assert.deepEqual(JSON.parse(admin.body), { error: 'Forbidden', message });
    assert.equal(json.status, 403);
    assert.deepEqual(JSON.parse(json.body), { __type: 'AccessDeniedException', message });
    assert.equal(query.status, 403);
    assert.match(query.body, /^<ErrorResponse><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code><Message>Host 'attacker.example:\d+' is not a name/);
    assert.equal(registry.status, 403);
    assert.deepEqual(JSON.parse(registry.body), { errors: [{ code: 'DENIED', message }] });
    assert.equal(layer.status, 403);
    assert.match(layer.body, /<Error><Code>AccessDenied<\/Code><Message>Host 'attacker.example:\d+' is not a name/);
  });

  it('answers localhost, loopback addresses, registry hosts and configured names', async (t) => {
    if (!haveCurl) return t.skip('curl not installed (apt-get install -y curl)');
    for (const h of ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', '000000000000.dkr.ecr.eu-west-1.localhost', 'simfra.internal']) {
      // when
      const admin = await curl(['-H', `Host: ${h}:${server.port}`, ...root, `${server.url}/_simfra/accounts`]);
      const registry = await curl(['-H', `Host: ${h}:${server.port}`, `${server.url}/v2/`]);
      // then: a registry host is all registry (its /_simfra/ path is the registry's 404)
      assert.equal(admin.status, h.includes('.dkr.ecr.') ? 404 : 200, `${h}: ${admin.body}`);
      assert.equal(registry.status, 401, `${h}: ${registry.body}`);
    }
  });
});

describe('bind address', () => {
  it('listens on loopback only unless SIMFRA_HOST says otherwise', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    if (external === undefined) return t.skip('no non-loopback IPv4 interface to probe');
    // given: simfra started with SIMFRA_HOST unset
    const child = await spawnServer({ SIMFRA_HOST: '' });
    try {
      // when
      const reach = (host: string) =>
        new Promise<boolean>((resolve) => {
          const s = connect({ host, port: child.port }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        });
      // then
      assert.equal(await reach('127.0.0.1'), true);
      assert.equal(await reach(external), false, `reachable on ${external}`);
    } finally {
      await child.stop();
    }
  });
});
