import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { awsCli, ecrClient } from '../support/clients.js';
import { startServer, type TestServer } from '../support/server.js';
import { adminFetch } from '../support/admin.js';

interface CreatedAccount {
  accountId: string;
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
}

describe('admin API: accounts', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const admin = (path: string, init?: { method?: string; body?: string }) => adminFetch(server.url, path, init);

  it('lists the default account at start', async () => {
    const res = await admin('/accounts');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { accounts: { accountId: string }[] };
    assert.deepEqual(body.accounts.map((a) => a.accountId), ['000000000000']);
  });

  it('creates an account with its own root key, isolated from the others', async () => {
    // given
    const res = await admin('/accounts', { method: 'POST', body: JSON.stringify({ accountId: '111122223333', name: 'team-b' }) });
    assert.equal(res.status, 201);
    const created = (await res.json()) as CreatedAccount;
    assert.equal(created.accountId, '111122223333');
    assert.match(created.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(created.secretAccessKey.length, 40);
    const b = ecrClient(server.url, created);
    const a = ecrClient(server.url);
    // when
    const repo = await b.send(new CreateRepositoryCommand({ repositoryName: 'only-in-b' }));
    // then
    assert.equal(repo.repository?.registryId, '111122223333');
    assert.equal(repo.repository?.repositoryUri, `111122223333.dkr.ecr.us-east-1.localhost:${server.port}/only-in-b`);
    const seenByA = await a.send(new DescribeRepositoriesCommand({}));
    assert.ok(!seenByA.repositories?.some((r) => r.repositoryName === 'only-in-b'));
    const cli = await awsCli(server.url, ['ecr', 'describe-repositories'], created);
    assert.equal(cli.json<{ repositories: unknown[] }>().repositories.length, 1);
    b.destroy();
    a.destroy();
  });

  it("denies a root user access to another account's repositories", async () => {
    const a = ecrClient(server.url);
    await assert.rejects(a.send(new DescribeRepositoriesCommand({ registryId: '111122223333' })), (e: Error) => {
      assert.equal(e.name, 'AccessDeniedException');
      assert.equal(
        e.message,
        'User: arn:aws:iam::000000000000:root is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:111122223333:repository/* because no resource-based policy allows the ecr:DescribeRepositories action',
      );
      return true;
    });
    a.destroy();
  });

  it('reads, refuses duplicates, deletes, and then the key stops working', async () => {
    const created = (await (await admin('/accounts', { method: 'POST', body: '{}' })).json()) as CreatedAccount;
    assert.match(created.accountId, /^\d{12}$/);
    const got = await admin(`/accounts/${created.accountId}`);
    assert.equal(got.status, 200);
    assert.deepEqual(((await got.json()) as { rootAccessKeyIds: string[] }).rootAccessKeyIds, [created.accessKeyId]);
    const dup = await admin('/accounts', { method: 'POST', body: JSON.stringify({ accountId: created.accountId }) });
    assert.equal(dup.status, 409);
    const bad = await admin('/accounts', { method: 'POST', body: JSON.stringify({ accountId: '12' }) });
    assert.equal(bad.status, 400);
    const del = await admin(`/accounts/${created.accountId}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await admin(`/accounts/${created.accountId}`)).status, 404);
    const client = ecrClient(server.url, created);
    await assert.rejects(client.send(new DescribeRepositoriesCommand({})), { name: 'UnrecognizedClientException' });
    client.destroy();
    assert.equal((await admin('/accounts/000000000000', { method: 'DELETE' })).status, 409);
  });
});
