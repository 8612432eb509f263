import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, DeleteRepositoryCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { awsCli, ecrClient } from '../support/clients.js';
import {
  buildImage,
  buildIndex,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  type BuiltImage,
} from '../support/oci-image.js';
import { loginPassword, Registry, sha256, type HttpResult } from '../support/registry.js';
import { startServer, type TestServer } from '../support/server.js';
import { adminFetch } from '../support/admin.js';

type Errors = { errors: { code: string; message: string; detail?: unknown }[] };
const firstError = (res: HttpResult) => res.json<Errors>().errors[0]!;

describe('registry manifests, tags, referrers and catalog', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let docker: BuiltImage;
  let oci: BuiltImage;

  const createRepository = (repositoryName: string, extra: Omit<ConstructorParameters<typeof CreateRepositoryCommand>[0], 'repositoryName'> = {}) =>
    ecr.send(new CreateRepositoryCommand({ repositoryName, ...extra }));

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    docker = await buildImage({ layers: 2, layerSize: 20_000, seed: 1, format: 'docker' });
    oci = await buildImage({ layers: 3, layerSize: 10_000, seed: 2 });
    await createRepository('app');
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('pushes a manifest by tag and pulls it by tag and by digest with its headers', async () => {
    // given
    for (const blob of docker.blobs) await reg.pushBlob('app', blob);
    // when
    const put = await reg.pushManifest('app', 'v1', docker.manifest, DOCKER_MANIFEST);
    // then
    assert.equal(put.status, 201, put.text);
    assert.equal(put.headers['docker-content-digest'], docker.digest);
    assert.equal(put.headers.location, `/v2/app/manifests/${docker.digest}`);
    assert.equal(put.headers['oci-subject'], undefined);
    for (const ref of ['v1', docker.digest]) {
      const get = await reg.request('GET', `/v2/app/manifests/${ref}`, { headers: { accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } });
      assert.equal(get.status, 200);
      assert.ok(get.body.equals(docker.manifest), 'the bytes exactly as pushed');
      assert.equal(get.headers['content-type'], DOCKER_MANIFEST);
      assert.equal(get.headers['docker-content-digest'], docker.digest);
      assert.equal(get.headers['content-length'], String(docker.manifest.length));
      const head = await reg.request('HEAD', `/v2/app/manifests/${ref}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(docker.manifest.length));
      assert.equal(head.headers['docker-content-digest'], docker.digest);
      assert.equal(head.body.length, 0);
    }
  });

  it('converts Docker schema 2 ⇄ OCI for a pull by tag that does not accept the stored type, never by digest', async () => {
    await reg.pushImage('app', 'oci', { manifest: oci.manifest, mediaType: OCI_MANIFEST, blobs: oci.blobs });
    // by tag, a docker-only client gets a Docker schema 2 manifest of the same blobs
    const converted = await reg.request('GET', '/v2/app/manifests/oci', { headers: { accept: DOCKER_MANIFEST } });
    assert.equal(converted.status, 200);
    assert.equal(converted.headers['content-type'], DOCKER_MANIFEST);
    assert.equal(converted.headers['docker-content-digest'], sha256(converted.body));
    const doc = converted.json<{ config: { digest: string }; layers: { digest: string; mediaType: string }[] }>();
    assert.equal(doc.config.digest, sha256(oci.config));
    assert.deepEqual(doc.layers.map((l) => l.digest), oci.layers.map((l) => sha256(l)));
    // by digest, never
    const byDigest = await reg.request('GET', `/v2/app/manifests/${oci.digest}`, { headers: { accept: DOCKER_MANIFEST } });
    assert.equal(byDigest.headers['content-type'], OCI_MANIFEST);
    assert.ok(byDigest.body.equals(oci.manifest));
    // and an OCI-only client gets the docker image as OCI
    const asOci = await reg.request('GET', '/v2/app/manifests/v1', { headers: { accept: OCI_MANIFEST } });
    assert.equal(asOci.headers['content-type'], OCI_MANIFEST);
  });

  it('answers MANIFEST_UNKNOWN with ECR text for a tag or digest that is not there', async () => {
    const res = await reg.request('GET', '/v2/app/manifests/missing');
    assert.equal(res.status, 404);
    assert.equal(firstError(res).code, 'MANIFEST_UNKNOWN');
    assert.equal(firstError(res).message, 'Requested image not found');
    assert.equal((await reg.request('HEAD', `/v2/app/manifests/${sha256('x')}`)).status, 404);
    assert.equal(firstError(await reg.request('GET', '/v2/app/manifests/sha256:zz')).code, 'DIGEST_INVALID');
  });

  it('answers 404 MANIFEST_UNKNOWN to GET and HEAD of a tag that cannot exist, and TAG_INVALID to a PUT of it', async () => {
    // given: the reference the distribution-spec conformance suite v1.1.1 pulls
    const ref = '.INVALID_MANIFEST_NAME';
    // when
    const get = await reg.request('GET', `/v2/app/manifests/${ref}`);
    const head = await reg.request('HEAD', `/v2/app/manifests/${ref}`);
    const put = await reg.pushManifest('app', ref, docker.manifest, DOCKER_MANIFEST);
    const noRepo = await reg.request('GET', `/v2/nowhere/manifests/${ref}`);
    // then
    assert.equal(get.status, 404);
    assert.deepEqual(firstError(get), { code: 'MANIFEST_UNKNOWN', message: 'Requested image not found', detail: { tag: ref } });
    assert.equal(head.status, 404);
    assert.equal(put.status, 400);
    assert.equal(firstError(put).code, 'TAG_INVALID');
    assert.equal(noRepo.status, 404);
    assert.equal(firstError(noRepo).code, 'NAME_UNKNOWN');
  });

  it('pushes by digest without a tag, and refuses a body that does not match the digest', async () => {
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 3 });
    for (const blob of image.blobs) await reg.pushBlob('app', blob);
    const wrong = await reg.pushManifest('app', sha256('other'), image.manifest, OCI_MANIFEST);
    assert.equal(wrong.status, 400);
    assert.equal(firstError(wrong).code, 'DIGEST_INVALID');
    const put = await reg.pushManifest('app', image.digest, image.manifest, OCI_MANIFEST);
    assert.equal(put.status, 201);
    assert.equal((await reg.request('GET', `/v2/app/manifests/${image.digest}`)).status, 200);
  });

  it('refuses invalid manifests, unknown blobs, and manifests over 4 MiB', async () => {
    const bad = await reg.pushManifest('app', 'bad', '{"schemaVersion":', OCI_MANIFEST);
    assert.equal(bad.status, 400);
    assert.equal(firstError(bad).code, 'MANIFEST_INVALID');
    const mismatch = await reg.pushManifest('app', 'bad', oci.manifest, DOCKER_MANIFEST);
    assert.equal(firstError(mismatch).code, 'MANIFEST_INVALID');
    const unknownLayers = await buildImage({ layers: 2, layerSize: 100, seed: 4 });
    await reg.pushBlob('app', unknownLayers.config);
    const missing = await reg.pushManifest('app', 'bad', unknownLayers.manifest, OCI_MANIFEST);
    assert.equal(missing.status, 400);
    assert.equal(firstError(missing).code, 'MANIFEST_BLOB_UNKNOWN');
    assert.equal(
      firstError(missing).message,
      `Layers with digests '[${unknownLayers.layers.map((l) => sha256(l)).join(', ')}]' required for pushing image into repository with name 'app' in the registry with id '000000000000' do not exist`,
    );
    const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const tooBig = await reg.pushManifest('app', 'bad', huge, OCI_MANIFEST);
    assert.equal(tooBig.status, 400);
    assert.equal(firstError(tooBig).code, 'MANIFEST_INVALID');
    assert.equal((await reg.request('GET', '/v2/app/manifests/bad')).status, 404);
    const noRepo = await reg.pushManifest('nope', 'v1', oci.manifest, OCI_MANIFEST);
    assert.equal(noRepo.status, 404);
    assert.equal(firstError(noRepo).message, "The repository with name 'nope' does not exist in the registry with id '000000000000'");
  });

  it('stores a two-platform index whose children are untagged images, and refuses one with a missing child', async () => {
    await createRepository('multi');
    const amd = await buildImage({ layers: 1, layerSize: 5000, seed: 10, platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage({ layers: 1, layerSize: 9000, seed: 11, platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm]);
    // a child that is not there yet
    await reg.pushImage('multi', amd.digest, { manifest: amd.manifest, mediaType: OCI_MANIFEST, blobs: amd.blobs });
    const refused = await reg.pushManifest('multi', 'latest', index.manifest, OCI_INDEX);
    assert.equal(refused.status, 400);
    assert.deepEqual(firstError(refused), {
      code: 'MANIFEST_BLOB_UNKNOWN',
      message: `Images with digests '[${arm.digest}]' required for pushing image into repository with name 'multi' in the registry with id '000000000000' do not exist`,
    });
    // with both children
    await reg.pushImage('multi', arm.digest, { manifest: arm.manifest, mediaType: OCI_MANIFEST, blobs: arm.blobs });
    const put = await reg.pushManifest('multi', 'latest', index.manifest, OCI_INDEX);
    assert.equal(put.status, 201);
    const get = await reg.request('GET', '/v2/multi/manifests/latest', { headers: { accept: OCI_INDEX } });
    assert.equal(get.headers['content-type'], OCI_INDEX);
    assert.ok(get.body.equals(index.manifest));
    assert.deepEqual((await reg.request('GET', '/v2/multi/tags/list')).json(), { name: 'multi', tags: ['latest'] });
    // a child cannot be deleted while the index lists it
    const del = await reg.request('DELETE', `/v2/multi/manifests/${amd.digest}`);
    assert.equal(del.status, 403);
    assert.equal(firstError(del).code, 'DENIED');
    assert.equal((await reg.request('DELETE', `/v2/multi/manifests/${index.digest}`)).status, 202);
    assert.equal((await reg.request('DELETE', `/v2/multi/manifests/${amd.digest}`)).status, 202);
  });

  it('keeps immutable tags, in IMMUTABLE and both *_WITH_EXCLUSION variants, and allows the identical push', async () => {
    const first = docker;
    const second = oci;
    const cases = [
      { mutability: 'IMMUTABLE', filters: undefined, immutable: ['v1', 'latest'], mutable: [] },
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', filters: ['latest', 'dev-*'], immutable: ['v1'], mutable: ['latest', 'dev-7'] },
      { mutability: 'MUTABLE_WITH_EXCLUSION', filters: ['release-*'], immutable: ['release-1'], mutable: ['latest'] },
    ] as const;
    for (const c of cases) {
      const name = `imm/${c.mutability.toLowerCase().replaceAll('_', '-')}`;
      await createRepository(name, {
        imageTagMutability: c.mutability,
        ...(c.filters ? { imageTagMutabilityExclusionFilters: c.filters.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) } : {}),
      });
      for (const blob of [...first.blobs, ...second.blobs]) await reg.pushBlob(name, blob);
      for (const tag of [...c.immutable, ...c.mutable]) {
        assert.equal((await reg.pushManifest(name, tag, first.manifest, DOCKER_MANIFEST)).status, 201, `${name}:${tag} first push`);
        assert.equal((await reg.pushManifest(name, tag, first.manifest, DOCKER_MANIFEST)).status, 201, `${name}:${tag} same again`);
      }
      for (const tag of c.immutable) {
        const res = await reg.pushManifest(name, tag, second.manifest, OCI_MANIFEST);
        assert.equal(res.status, 400, `${name}:${tag}`);
        assert.deepEqual(firstError(res), {
          code: 'TAG_INVALID',
          message: `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
        });
      }
      for (const tag of c.mutable) {
        assert.equal((await reg.pushManifest(name, tag, second.manifest, OCI_MANIFEST)).status, 201, `${name}:${tag} moves`);
      }
    }
  });

  it('lists tags in lexical order, 100 by default, with n/last pagination and a Link header', async () => {
    await createRepository('many');
    for (const blob of docker.blobs) await reg.pushBlob('many', blob);
    const tags = Array.from({ length: 105 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    for (const tag of [...tags].reverse()) await reg.pushManifest('many', tag, docker.manifest, DOCKER_MANIFEST);
    // default page
    const first = await reg.request('GET', '/v2/many/tags/list');
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'text/plain; charset=utf-8');
    assert.deepEqual(first.json<{ tags: string[] }>().tags, tags.slice(0, 100));
    assert.equal(first.headers.link, '</v2/many/tags/list?n=100&last=t099>; rel="next"');
    // follow Link with n=40
    const seen: string[] = [];
    let next: string | undefined = '/v2/many/tags/list?n=40';
    while (next !== undefined) {
      const res = await reg.request('GET', next);
      seen.push(...res.json<{ tags: string[] }>().tags);
      next = /^<([^>]+)>; rel="next"$/.exec(String(res.headers.link ?? ''))?.[1];
    }
    assert.deepEqual(seen, tags);
    assert.deepEqual((await reg.request('GET', '/v2/many/tags/list?n=2&last=t102')).json(), { name: 'many', tags: ['t103', 't104'] });
    const tooMany = await reg.request('GET', '/v2/many/tags/list?n=1001');
    assert.deepEqual(tooMany.json(), {
      errors: [
        {
          code: 'UNSUPPORTED',
          message: "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
        },
      ],
    });
  });

  it('answers the referrers API with an OCI index, filtered by artifactType, and OCI-Subject on push', async () => {
    await createRepository('refs');
    await reg.pushImage('refs', 'v1', { manifest: oci.manifest, mediaType: OCI_MANIFEST, blobs: oci.blobs });
    const subject = { mediaType: OCI_MANIFEST, digest: oci.digest, size: oci.manifest.length };
    const sbom = await buildImage({ layers: 1, layerSize: 100, seed: 20, subject, artifactType: 'application/vnd.example.sbom', annotations: { kind: 'sbom' } });
    const sig = await buildImage({ layers: 1, layerSize: 100, seed: 21, subject, artifactType: 'application/vnd.example.sig' });
    for (const a of [sbom, sig]) {
      for (const blob of a.blobs) await reg.pushBlob('refs', blob);
      const put = await reg.pushManifest('refs', a.digest, a.manifest, OCI_MANIFEST);
      assert.equal(put.status, 201);
      assert.equal(put.headers['oci-subject'], oci.digest);
    }
    const all = await reg.request('GET', `/v2/refs/referrers/${oci.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], OCI_INDEX);
    assert.equal(all.headers['oci-filters-applied'], undefined);
    const index = all.json<{ schemaVersion: number; mediaType: string; manifests: Record<string, unknown>[] }>();
    assert.equal(index.mediaType, OCI_INDEX);
    assert.deepEqual(
      index.manifests.sort((a, b) => String(a.artifactType).localeCompare(String(b.artifactType))),
      [
        { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.manifest.length, artifactType: 'application/vnd.example.sbom', annotations: { kind: 'sbom' } },
        { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.manifest.length, artifactType: 'application/vnd.example.sig' },
      ],
    );
    const filtered = await reg.request('GET', `/v2/refs/referrers/${oci.digest}?artifactType=application/vnd.example.sig`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest), [sig.digest]);
    const none = await reg.request('GET', `/v2/refs/referrers/${sha256('nothing')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
    assert.equal((await reg.request('GET', '/v2/refs/referrers/not-a-digest')).status, 400);

    // deleting the subject deletes its referrers with it, as ECR does
    assert.equal((await reg.request('DELETE', `/v2/refs/manifests/${oci.digest}`)).status, 202);
    for (const a of [sbom, sig]) assert.equal((await reg.request('GET', `/v2/refs/manifests/${a.digest}`)).status, 404);
    const afterDelete = await reg.request('GET', `/v2/refs/referrers/${oci.digest}`);
    assert.deepEqual(afterDelete.json<{ manifests: unknown[] }>().manifests, []);
  });

  it('deletes by digest (image and tags) and by tag (only that tag while others remain)', async () => {
    await createRepository('del');
    await reg.pushImage('del', 'a', { manifest: docker.manifest, mediaType: DOCKER_MANIFEST, blobs: docker.blobs });
    await reg.pushManifest('del', 'b', docker.manifest, DOCKER_MANIFEST);
    assert.equal((await reg.request('DELETE', '/v2/del/manifests/a')).status, 202);
    assert.deepEqual((await reg.request('GET', '/v2/del/tags/list')).json(), { name: 'del', tags: ['b'] });
    assert.equal((await reg.request('GET', `/v2/del/manifests/${docker.digest}`)).status, 200);
    assert.equal((await reg.request('DELETE', `/v2/del/manifests/${docker.digest}`)).status, 202);
    assert.deepEqual((await reg.request('GET', '/v2/del/tags/list')).json(), { name: 'del', tags: [] });
    const again = await reg.request('DELETE', `/v2/del/manifests/${docker.digest}`);
    assert.equal(again.status, 404);
    assert.equal(firstError(again).code, 'MANIFEST_UNKNOWN');
  });

  it('lists repositories in /v2/_catalog, paginated, and only for callers allowed to describe them', async () => {
    const res = await reg.request('GET', '/v2/_catalog?n=3');
    assert.equal(res.status, 200);
    const first = res.json<{ repositories: string[] }>().repositories;
    assert.deepEqual(first, ['app', 'del', 'imm/immutable']);
    assert.equal(res.headers.link, '</v2/_catalog?n=3&last=imm%2Fimmutable>; rel="next"');
    const all = (await reg.request('GET', '/v2/_catalog')).json<{ repositories: string[] }>().repositories;
    assert.deepEqual(all, [...all].sort());
    assert.ok(all.includes('multi') && all.includes('refs'));
    assert.equal((await reg.request('GET', '/v2/_catalog', { password: null })).status, 401);
    const other = (await (
      await adminFetch(server.url, '/accounts', { method: 'POST', body: JSON.stringify({ accountId: '222233334444' }) })
    ).json()) as { accessKeyId: string; secretAccessKey: string };
    const foreign = await reg.request('GET', '/v2/_catalog', { password: await loginPassword(server.url, other) });
    assert.equal(foreign.status, 403);
    assert.equal(firstError(foreign).code, 'DENIED');
  });

  it('is one image store with the ECR API: DeleteRepository refuses a repository with pushed images', async () => {
    await createRepository('busy');
    await reg.pushImage('busy', 'v1', { manifest: docker.manifest, mediaType: DOCKER_MANIFEST, blobs: docker.blobs });
    await assert.rejects(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'busy' })), {
      name: 'RepositoryNotEmptyException',
      message: "The repository with name 'busy' in registry with id '000000000000' cannot be deleted because it still contains images",
    });
    const described = await awsCli(server.url, ['ecr', 'describe-repositories', '--repository-names', 'busy']);
    assert.equal(described.code, 0, described.stderr);
    assert.equal(described.json<{ repositories: { repositoryName: string }[] }>().repositories[0]?.repositoryName, 'busy');
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'busy', force: true }));
    assert.equal(firstError(await reg.request('GET', '/v2/busy/manifests/v1')).code, 'NAME_UNKNOWN');
    // a new repository of the same name starts empty
    await createRepository('busy');
    assert.deepEqual((await reg.request('GET', '/v2/busy/tags/list')).json(), { name: 'busy', tags: [] });
    assert.equal((await reg.request('HEAD', `/v2/busy/blobs/${sha256(docker.config)}`)).status, 404);
  });
});
