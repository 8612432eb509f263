import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, PutAccountSettingCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { doc, makeUser } from '../support/iam.js';
import { loginPassword, randomBytes, Registry, sha256, type HttpResult } from '../support/registry.js';
import { startServer, type TestServer } from '../support/server.js';

const code = (res: HttpResult): string | undefined => res.json<{ errors: { code: string }[] }>().errors[0]?.code;

describe('registry blobs and uploads', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    for (const repositoryName of ['app', 'other', 'mount/target', 'mount/source', 'mount/none']) {
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    }
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mount/kms', encryptionConfiguration: { encryptionType: 'KMS' } }));
    reg = new Registry(server.port, await loginPassword(server.url));
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('takes a monolithic POST ?digest= and serves the blob back (HEAD and GET)', async () => {
    // given
    const data = await randomBytes(100_000, 1);
    const digest = sha256(data);
    // when
    const put = await reg.request('POST', `/v2/app/blobs/uploads/?digest=${digest}`, { body: data });
    // then
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/app/blobs/${digest}`);
    assert.equal(put.headers['docker-content-digest'], digest);
    const head = await reg.request('HEAD', `/v2/app/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.headers['docker-content-digest'], digest);
    assert.equal(head.body.length, 0);
    const get = await reg.request('GET', `/v2/app/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(data));
  });

  it('takes POST then PUT ?digest= with the whole body', async () => {
    const data = await randomBytes(50_000, 2);
    const start = await reg.request('POST', '/v2/app/blobs/uploads/');
    assert.equal(start.status, 202);
    assert.equal(start.headers.range, '0-0');
    const uuid = start.headers['docker-upload-uuid'];
    assert.equal(start.headers.location, `/v2/app/blobs/uploads/${uuid}`);
    const put = await reg.request('PUT', `${start.headers.location}?digest=${sha256(data)}`, { body: data });
    assert.equal(put.status, 201);
    assert.ok((await reg.request('GET', `/v2/app/blobs/${sha256(data)}`)).body.equals(data));
  });

  it('takes a chunked upload in several PATCHes, reports status, and completes with an empty PUT', async () => {
    // given
    const data = await randomBytes(300_000, 3);
    const parts = [data.subarray(0, 100_000), data.subarray(100_000, 250_000), data.subarray(250_000)];
    let location = String((await reg.request('POST', '/v2/app/blobs/uploads/')).headers.location);
    // when
    let offset = 0;
    for (const part of parts) {
      const res = await reg.request('PATCH', location, {
        body: part,
        headers: { 'content-range': `${offset}-${offset + part.length - 1}`, 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.status, 202, res.text);
      offset += part.length;
      assert.equal(res.headers.range, `0-${offset - 1}`);
      location = String(res.headers.location);
    }
    const status = await reg.request('GET', location);
    // then
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${data.length - 1}`);
    assert.ok(status.headers['docker-upload-uuid']);
    const done = await reg.request('PUT', `${location}?digest=${sha256(data)}`);
    assert.equal(done.status, 201);
    assert.equal(done.headers['docker-content-digest'], sha256(data));
    assert.ok((await reg.request('GET', `/v2/app/blobs/${sha256(data)}`)).body.equals(data));
  });

  it('streams PATCHes without Content-Range (docker-style) and a last chunk on the PUT', async () => {
    const data = await randomBytes(200_000, 4);
    let location = String((await reg.request('POST', '/v2/app/blobs/uploads/')).headers.location);
    for (const part of [data.subarray(0, 70_000), data.subarray(70_000, 150_000)]) {
      const res = await reg.request('PATCH', location, { body: part });
      assert.equal(res.status, 202);
      location = String(res.headers.location);
    }
    const done = await reg.request('PUT', `${location}?digest=${sha256(data)}`, {
      body: data.subarray(150_000),
      headers: { 'content-range': `150000-${data.length - 1}` },
    });
    assert.equal(done.status, 201, done.text);
    assert.ok((await reg.request('GET', `/v2/app/blobs/${sha256(data)}`)).body.equals(data));
  });

  it('answers an out-of-order chunk with 416 and the current Range, and keeps the session', async () => {
    const location = String((await reg.request('POST', '/v2/app/blobs/uploads/')).headers.location);
    await reg.request('PATCH', location, { body: Buffer.alloc(10, 1), headers: { 'content-range': '0-9' } });
    // when a chunk skips ahead
    const res = await reg.request('PATCH', location, { body: Buffer.alloc(10, 2), headers: { 'content-range': '20-29' } });
    // then
    assert.equal(res.status, 416);
    assert.equal(code(res), 'RANGE_INVALID');
    assert.equal(res.headers.range, '0-9');
    assert.equal(res.headers.location, location);
    const resumed = await reg.request('PATCH', location, { body: Buffer.alloc(5, 3), headers: { 'content-range': '10-14' } });
    assert.equal(resumed.status, 202);
    assert.equal(resumed.headers.range, '0-14');
    // a Content-Length that contradicts the Content-Range is refused too
    const bad = await reg.request('PATCH', location, { body: Buffer.alloc(3), headers: { 'content-range': '15-24' } });
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'BLOB_UPLOAD_INVALID');
  });

  it('refuses a digest mismatch with DIGEST_INVALID and keeps nothing', async () => {
    const data = Buffer.from('the real content');
    const wrong = sha256('something else');
    const location = String((await reg.request('POST', '/v2/app/blobs/uploads/')).headers.location);
    const res = await reg.request('PUT', `${location}?digest=${wrong}`, { body: data });
    assert.equal(res.status, 400);
    assert.equal(code(res), 'DIGEST_INVALID');
    assert.equal((await reg.request('GET', location)).status, 404);
    assert.equal((await reg.request('HEAD', `/v2/app/blobs/${sha256(data)}`)).status, 404);
    assert.equal((await reg.request('HEAD', `/v2/app/blobs/${wrong}`)).status, 404);
    const mono = await reg.request('POST', `/v2/app/blobs/uploads/?digest=${wrong}`, { body: data });
    assert.equal(code(mono), 'DIGEST_INVALID');
    const malformed = await reg.request('POST', '/v2/app/blobs/uploads/?digest=sha256:xyz', { body: data });
    assert.equal(malformed.status, 400);
    assert.equal(code(malformed), 'DIGEST_INVALID');
  });

  it('cancels a session with DELETE; unknown and foreign sessions are BLOB_UPLOAD_UNKNOWN', async () => {
    const location = String((await reg.request('POST', '/v2/app/blobs/uploads/')).headers.location);
    const uuid = location.split('/').pop();
    assert.equal((await reg.request('GET', `/v2/other/blobs/uploads/${uuid}`)).status, 404);
    assert.equal((await reg.request('DELETE', location)).status, 204);
    const gone = await reg.request('PATCH', location, { body: 'x' });
    assert.equal(gone.status, 404);
    assert.equal(code(gone), 'BLOB_UPLOAD_UNKNOWN');
    assert.equal(code(await reg.request('GET', '/v2/app/blobs/uploads/does-not-exist')), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('serves byte ranges with 206 and refuses unsatisfiable ones with 416', async () => {
    const data = await randomBytes(1000, 5);
    const digest = await reg.pushBlob('app', data);
    const path = `/v2/app/blobs/${digest}`;
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-5', 995, 999],
      ['bytes=500-5000', 500, 999],
    ];
    for (const [range, start, end] of cases) {
      const res = await reg.request('GET', path, { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/1000`, range);
      assert.equal(res.headers['content-length'], String(end - start + 1), range);
      assert.ok(res.body.equals(data.subarray(start, end + 1)), range);
    }
    for (const range of ['bytes=1000-1001', 'bytes=20-10']) {
      const res = await reg.request('GET', path, { headers: { range } });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers['content-range'], 'bytes */1000', range);
      assert.equal(code(res), 'RANGE_INVALID');
    }
  });

  it('keeps blobs per repository: another repository cannot read it, and blob DELETE is unsupported', async () => {
    const digest = await reg.pushBlob('app', 'only in app');
    const res = await reg.request('GET', `/v2/other/blobs/${digest}`);
    assert.equal(res.status, 404);
    assert.equal(code(res), 'BLOB_UNKNOWN');
    const head = await reg.request('HEAD', `/v2/other/blobs/${digest}`);
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0);
    const del = await reg.request('DELETE', `/v2/app/blobs/${digest}`);
    assert.equal(del.status, 405);
    assert.equal(code(del), 'UNSUPPORTED');
  });

  it('refuses uploads to a repository that does not exist with NAME_UNKNOWN', async () => {
    const res = await reg.request('POST', '/v2/nope/blobs/uploads/');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), {
      errors: [{ code: 'NAME_UNKNOWN', message: "The repository with name 'nope' does not exist in the registry with id '000000000000'" }],
    });
  });

  it('mounts across repositories only with BLOB_MOUNTING enabled, same encryption, and a source that has the blob', async () => {
    // given a blob in mount/source
    const digest = await reg.pushBlob('mount/source', 'shared layer');
    const mount = (from: string) => reg.request('POST', `/v2/mount/target/blobs/uploads/?mount=${digest}&from=${from}`);
    // when mounting is disabled (the default), a mount is an ordinary session
    const disabled = await mount('mount/source');
    assert.equal(disabled.status, 202);
    assert.ok(disabled.headers['docker-upload-uuid']);
    assert.equal((await reg.request('HEAD', `/v2/mount/target/blobs/${digest}`)).status, 404);
    // when it is enabled
    await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
    try {
      assert.equal((await mount('mount/none')).status, 202, 'source without the blob');
      assert.equal((await mount('mount/missing')).status, 202, 'source that does not exist');
      const kms = await reg.request('POST', `/v2/mount/kms/blobs/uploads/?mount=${digest}&from=mount/source`);
      assert.equal(kms.status, 202, 'different encryption');
      const mounted = await mount('mount/source');
      // then
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.location, `/v2/mount/target/blobs/${digest}`);
      assert.equal(mounted.headers['docker-content-digest'], digest);
      assert.equal((await reg.request('GET', `/v2/mount/target/blobs/${digest}`)).text, 'shared layer');
      assert.equal(code(await reg.request('POST', `/v2/nope/blobs/uploads/?mount=${digest}&from=mount/source`)), 'NAME_UNKNOWN');
      // a caller who may push to the target but not read the source gets a session, not a mount
      const pusher = await makeUser(server.url, 'pusher', {
        inline: {
          push: doc([
            { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
            { Effect: 'Allow', Action: 'ecr:*', Resource: 'arn:aws:ecr:us-east-1:000000000000:repository/mount/none' },
          ]),
        },
      });
      const asPusher = new Registry(server.port, await loginPassword(server.url, pusher));
      const refused = await asPusher.request('POST', `/v2/mount/none/blobs/uploads/?mount=${digest}&from=mount/source`);
      assert.equal(refused.status, 202);
      assert.equal((await asPusher.request('HEAD', `/v2/mount/none/blobs/${digest}`)).status, 404);
      assert.equal((await asPusher.request('GET', `/v2/mount/source/blobs/${digest}`)).status, 403);
    } finally {
      await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'DISABLED' }));
    }
  });
});
