import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { parseChallenge, RegistryClient, UpstreamError } from './registry-client.js';

describe('parseChallenge', () => {
  it('reads the scheme and quoted or bare parameters', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    assert.deepEqual(parseChallenge('Basic realm=upstream'), { scheme: 'basic', params: { realm: 'upstream' } });
  });
});

/** A registry that wants a bearer token from its own /token, which wants Basic u:p. */
describe('RegistryClient: the token dance', () => {
  let server: Server;
  let base: string;
  const tokenRequests: string[] = [];
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')} ${req.headers.authorization ?? '-'}`);
        if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) return void res.writeHead(401).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'T0K' }));
      }
      if (req.headers.authorization !== 'Bearer T0K') {
        const scope = url.pathname.startsWith('/v2/lib/app/') ? ',scope="repository:lib/app:pull"' : '';
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="fake"${scope}` }).end();
      }
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
      if (url.pathname === '/v2/lib/app/manifests/v1') {
        return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': 'sha256:abc' }).end(manifest);
      }
      if (url.pathname === '/v2/lib/app/blobs/sha256:def') return void res.writeHead(200).end('blob bytes');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('gets a token with the credentials for the repository scope, then manifests and streamed blobs', async () => {
    // given
    const client = new RegistryClient(base, { username: 'u', password: 'p' });
    // when
    await client.ping();
    const m = await client.manifest('lib/app', 'v1');
    const blob = await buffer(await client.blob('lib/app', 'sha256:def'));
    // then
    assert.deepEqual(m, { bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:abc' });
    assert.equal(blob.toString(), 'blob bytes');
    assert.ok(tokenRequests.includes(`fake repository:lib/app:pull Basic ${Buffer.from('u:p').toString('base64')}`), tokenRequests.join('\n'));
  });

  it('says unauthorized when the token service refuses, not-found for a missing manifest, unreachable for a dead port', async () => {
    // when / then
    await assert.rejects(new RegistryClient(base).manifest('lib/app', 'v1'), (e: UpstreamError) => e.kind === 'unauthorized');
    await assert.rejects(new RegistryClient(base, { username: 'u', password: 'p' }).manifest('lib/app', 'nope'), (e: UpstreamError) => e.kind === 'not-found');
    await assert.rejects(new RegistryClient('http://127.0.0.1:1').ping(), (e: UpstreamError) => e.kind === 'unreachable');
  });
});
