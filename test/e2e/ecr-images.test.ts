/**
 * The ECR image API (SDK v3) against images pushed through the registry over plain HTTP, checking
 * after each step that the two views agree: a push is described at once, a PutImage is pullable at
 * once, a BatchDeleteImage makes the pull fail at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  BatchGetRepositoryScanningConfigurationCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  GetRegistryScanningConfigurationCommand,
  ListImageReferrersCommand,
  ListImagesCommand,
  PutImageCommand,
  PutRegistryScanningConfigurationCommand,
  StartImageScanCommand,
  UpdateImageStorageClassCommand,
  paginateDescribeImages,
  paginateListImages,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { ecrClient } from '../support/clients.js';
import { followClock, rejects } from '../support/ecr-images.js';
import { buildImage, buildIndex, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';

const notFound = (repo: string, digest: string | null, tag: string | null) =>
  `The image with imageId {imageDigest:'${digest ?? 'null'}', imageTag:'${tag ?? 'null'}'} does not exist within the repository with name '${repo}' in the registry with id '${ACCOUNT}'`;

describe('ECR image API on the registry’s images (SDK v3 + HTTP registry)', () => {
  const clock = new ManualClock(new Date());
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let seed = 100;

  const create = (repositoryName: string, extra: Omit<ConstructorParameters<typeof CreateRepositoryCommand>[0], 'repositoryName'> = {}) =>
    ecr.send(new CreateRepositoryCommand({ repositoryName, ...extra }));
  const image = (opts: Partial<Parameters<typeof buildImage>[0]> = {}) => buildImage({ layers: 2, layerSize: 2_000, seed: seed++, ...opts });
  const describeOne = async (repositoryName: string, digest: string): Promise<ImageDetail> =>
    (await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }))).imageDetails![0]!;
  const pull = (repo: string, ref: string, accept = `${OCI_MANIFEST}, ${DOCKER_MANIFEST}, ${OCI_INDEX}`) =>
    reg.request('GET', `/v2/${repo}/manifests/${ref}`, { headers: { accept } });

  before(async () => {
    server = await startServer({}, { clock });
    ecr = ecrClient(server.url);
    followClock(ecr, clock);
    reg = new Registry(server.port, await loginPassword(server.url));
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  describe('DescribeImages and ListImages', () => {
    it('describes a registry push at once, with every field ECR defines for it', async () => {
      // given
      await create('desc/app');
      const img = await image();
      const pushedAt = clock.now();
      // when
      await reg.pushImage('desc/app', 'v1', img);
      // then
      const res = await ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/app' }));
      assert.deepEqual(res.imageDetails, [
        {
          registryId: ACCOUNT,
          repositoryName: 'desc/app',
          imageDigest: img.digest,
          imageTags: ['v1'],
          imageSizeInBytes: img.size,
          imagePushedAt: pushedAt,
          imageManifestMediaType: OCI_MANIFEST,
          artifactMediaType: 'application/vnd.oci.image.config.v1+json',
          imageStatus: 'ACTIVE',
        },
      ]);
      assert.equal(res.nextToken, undefined);
      const list = await ecr.send(new ListImagesCommand({ repositoryName: 'desc/app' }));
      assert.deepEqual(list.imageIds, [{ imageDigest: img.digest, imageTag: 'v1' }]);
    });

    it('records lastRecordedPullTime on a registry pull and on BatchGetImage, not on HEAD', async () => {
      // given
      await create('desc/pulls');
      const img = await image();
      await reg.pushImage('desc/pulls', 'v1', img);
      await reg.request('HEAD', `/v2/desc/pulls/manifests/v1`);
      assert.equal((await describeOne('desc/pulls', img.digest)).lastRecordedPullTime, undefined);
      // when the registry pulls
      clock.advance(60_000);
      const first = clock.now();
      assert.equal((await pull('desc/pulls', 'v1')).status, 200);
      // then
      assert.equal((await describeOne('desc/pulls', img.digest)).lastRecordedPullTime?.getTime(), first.getTime());
      // when BatchGetImage pulls two minutes later
      clock.advance(120_000);
      await ecr.send(new BatchGetImageCommand({ repositoryName: 'desc/pulls', imageIds: [{ imageTag: 'v1' }] }));
      // then
      assert.equal((await describeOne('desc/pulls', img.digest)).lastRecordedPullTime?.getTime(), clock.now().getTime());
    });

    it('gives an index the size of its largest child, and filters by tag status', async () => {
      // given a two-platform index pushed by tag, its children by digest only
      await create('desc/multi');
      const small = await image({ layers: 1, layerSize: 1_000, platform: { os: 'linux', architecture: 'amd64' } });
      const big = await image({ layers: 3, layerSize: 5_000, platform: { os: 'linux', architecture: 'arm64' } });
      for (const child of [small, big]) await reg.pushImage('desc/multi', child.digest, child);
      const index = buildIndex([small, big]);
      assert.equal((await reg.pushManifest('desc/multi', 'multi', index.manifest, OCI_INDEX)).status, 201);
      // then
      const detail = await describeOne('desc/multi', index.digest);
      assert.equal(detail.imageSizeInBytes, big.size);
      assert.equal(detail.imageManifestMediaType, OCI_INDEX);
      assert.equal(detail.artifactMediaType, undefined);
      const digests = async (tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY') =>
        (await ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/multi', filter: { tagStatus } }))).imageDetails!.map((d) => d.imageDigest).sort();
      assert.deepEqual(await digests('TAGGED'), [index.digest]);
      assert.deepEqual(await digests('UNTAGGED'), [small.digest, big.digest].sort());
      assert.deepEqual(await digests('ANY'), [small.digest, big.digest, index.digest].sort());
      const untagged = await ecr.send(new ListImagesCommand({ repositoryName: 'desc/multi', filter: { tagStatus: 'UNTAGGED' } }));
      assert.deepEqual(untagged.imageIds!.map((i) => i.imageDigest).sort(), [small.digest, big.digest].sort());
      assert.ok(untagged.imageIds!.every((i) => i.imageTag === undefined));
    });

    it('pages DescribeImages and ListImages (one ListImages entry per tag) with the SDK paginators', async () => {
      // given 7 images, one of them with three tags
      await create('desc/pages');
      const pushed: string[] = [];
      for (let i = 0; i < 7; i++) {
        const img = await image({ layers: 1, layerSize: 100 });
        pushed.push(await reg.pushImage('desc/pages', `t${i}`, img));
        clock.advance(1_000);
      }
      for (const tag of ['x', 'y']) assert.equal((await reg.pushManifest('desc/pages', tag, (await pull('desc/pages', 't3')).body, OCI_MANIFEST)).status, 201);
      // when
      const details: string[] = [];
      let pages = 0;
      for await (const page of paginateDescribeImages({ client: ecr, pageSize: 3 }, { repositoryName: 'desc/pages' })) {
        pages++;
        details.push(...page.imageDetails!.map((d) => d.imageDigest!));
      }
      const ids: string[] = [];
      for await (const page of paginateListImages({ client: ecr, pageSize: 4 }, { repositoryName: 'desc/pages' })) {
        ids.push(...page.imageIds!.map((i) => `${i.imageDigest}:${i.imageTag}`));
      }
      // then: oldest first, every image once / every tag once
      assert.equal(pages, 3);
      assert.deepEqual(details, pushed);
      assert.equal(ids.length, 9);
      assert.equal(new Set(ids).size, 9);
      assert.deepEqual(ids.filter((i) => i.startsWith(pushed[3]!)).map((i) => i.split(':').pop()).sort(), ['t3', 'x', 'y']);
    });

    it('refuses imageIds with paging, a token of another listing, and unknown images, in AWS words', async () => {
      await create('desc/errors');
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/errors', imageIds: [{ imageTag: 'v1' }], maxResults: 5 })),
        'InvalidParameterException',
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults and nextToken cannot be specified with imageIds'",
      );
      const other = await ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/pages', maxResults: 1 }));
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/errors', nextToken: other.nextToken })),
        'InvalidParameterException',
        "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
      );
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/errors', imageIds: [{ imageTag: 'nope' }] })),
        'ImageNotFoundException',
        notFound('desc/errors', null, 'nope'),
      );
      const digest = sha256('no such manifest');
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/errors', imageIds: [{ imageDigest: digest }] })),
        'ImageNotFoundException',
        notFound('desc/errors', digest, null),
      );
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/none' })),
        'RepositoryNotFoundException',
        `The repository with name 'desc/none' does not exist in the registry with id '${ACCOUNT}'`,
      );
      await rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: 'desc/errors', maxResults: 1001 })),
        'InvalidParameterException',
      );
    });
  });

  describe('BatchGetImage', () => {
    let img: BuiltImage;
    before(async () => {
      await create('get/app');
      img = await image();
      await reg.pushImage('get/app', 'v1', img);
    });

    it('returns manifests by tag and by digest, exactly as pushed, with per-id failures', async () => {
      const res = await ecr.send(
        new BatchGetImageCommand({
          repositoryName: 'get/app',
          imageIds: [
            { imageTag: 'v1' },
            { imageDigest: img.digest },
            { imageDigest: img.digest, imageTag: 'v1' },
            { imageTag: 'missing' },
            { imageDigest: img.digest, imageTag: 'other' },
            {},
            { imageDigest: 'sha256:nothex' },
          ],
        }),
      );
      assert.deepEqual(
        res.images!.map((i) => i.imageId),
        [{ imageDigest: img.digest, imageTag: 'v1' }, { imageDigest: img.digest }, { imageDigest: img.digest, imageTag: 'v1' }],
      );
      for (const i of res.images!) {
        assert.equal(i.imageManifest, img.manifest.toString('utf8'));
        assert.equal(i.imageManifestMediaType, OCI_MANIFEST);
        assert.equal(i.registryId, ACCOUNT);
        assert.equal(i.repositoryName, 'get/app');
      }
      assert.deepEqual(res.failures, [
        { imageId: { imageTag: 'missing' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
        {
          imageId: { imageDigest: img.digest, imageTag: 'other' },
          failureCode: 'ImageTagDoesNotMatchDigest',
          failureReason: 'Invalid request parameters: image tag and digest do not match',
        },
        { imageId: {}, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' },
        {
          imageId: { imageDigest: 'sha256:nothex' },
          failureCode: 'InvalidImageDigest',
          failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
      ]);
    });

    it('honours acceptedMediaTypes: converts by tag as the registry does, never by digest, else fails', async () => {
      // by tag: a Docker-only caller gets the Docker schema 2 form of the OCI manifest, as the registry serves it
      const byTag = await ecr.send(new BatchGetImageCommand({ repositoryName: 'get/app', imageIds: [{ imageTag: 'v1' }], acceptedMediaTypes: [DOCKER_MANIFEST] }));
      const converted = byTag.images![0]!;
      assert.equal(converted.imageManifestMediaType, DOCKER_MANIFEST);
      const viaRegistry = await pull('get/app', 'v1', DOCKER_MANIFEST);
      assert.equal(converted.imageManifest, viaRegistry.text);
      assert.equal(converted.imageId!.imageDigest, viaRegistry.headers['docker-content-digest']);
      // by digest: no conversion, so a failure
      const byDigest = await ecr.send(new BatchGetImageCommand({ repositoryName: 'get/app', imageIds: [{ imageDigest: img.digest }], acceptedMediaTypes: [DOCKER_MANIFEST] }));
      assert.deepEqual(byDigest.images, []);
      assert.deepEqual(byDigest.failures, [{ imageId: { imageDigest: img.digest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
      // the stored type accepted: as stored
      const stored = await ecr.send(new BatchGetImageCommand({ repositoryName: 'get/app', imageIds: [{ imageDigest: img.digest }], acceptedMediaTypes: [OCI_MANIFEST] }));
      assert.equal(stored.images![0]!.imageManifest, img.manifest.toString('utf8'));
    });

    it('fails the whole call for an unknown repository', async () => {
      await rejects(
        ecr.send(new BatchGetImageCommand({ repositoryName: 'get/none', imageIds: [{ imageTag: 'v1' }] })),
        'RepositoryNotFoundException',
        `The repository with name 'get/none' does not exist in the registry with id '${ACCOUNT}'`,
      );
    });
  });

  describe('PutImage', () => {
    let img: BuiltImage;
    before(async () => {
      await create('put/app');
      img = await image();
      await reg.pushImage('put/app', 'v1', img);
    });

    it('retags (BatchGetImage then PutImage) and the registry serves the new tag at once', async () => {
      // given
      const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'put/app', imageIds: [{ imageTag: 'v1' }] }));
      // when
      const put = await ecr.send(new PutImageCommand({ repositoryName: 'put/app', imageTag: 'release', imageManifest: got.images![0]!.imageManifest! }));
      // then
      assert.deepEqual(put.image, {
        registryId: ACCOUNT,
        repositoryName: 'put/app',
        imageId: { imageDigest: img.digest, imageTag: 'release' },
        imageManifest: img.manifest.toString('utf8'),
        imageManifestMediaType: OCI_MANIFEST,
      });
      const pulled = await pull('put/app', 'release');
      assert.equal(pulled.status, 200);
      assert.ok(pulled.body.equals(img.manifest));
      assert.equal(pulled.headers['docker-content-digest'], img.digest);
      assert.deepEqual((await describeOne('put/app', img.digest)).imageTags, ['release', 'v1']);
      const tags = await reg.request('GET', '/v2/put/app/tags/list');
      assert.deepEqual(tags.json<{ tags: string[] }>().tags, ['release', 'v1']);
    });

    it('moves a mutable tag to a new manifest, leaving the old image untagged', async () => {
      const next = await image();
      await reg.pushImage('put/app', next.digest, next);
      await ecr.send(new PutImageCommand({ repositoryName: 'put/app', imageTag: 'v1', imageManifest: next.manifest.toString(), imageDigest: next.digest }));
      assert.equal((await pull('put/app', 'v1')).headers['docker-content-digest'], next.digest);
      assert.deepEqual((await describeOne('put/app', img.digest)).imageTags, ['release']);
    });

    it('refuses the same manifest and tag again: ImageAlreadyExistsException', async () => {
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/app', imageTag: 'release', imageManifest: img.manifest.toString() })),
        'ImageAlreadyExistsException',
        `Image with digest '${img.digest}' and tag 'release' already exists in the repository with name 'put/app' in registry with id '${ACCOUNT}'`,
      );
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/app', imageManifest: img.manifest.toString() })),
        'ImageAlreadyExistsException',
        `Image with digest '${img.digest}' and tag 'null' already exists in the repository with name 'put/app' in registry with id '${ACCOUNT}'`,
      );
    });

    it('refuses to move an immutable tag with ECR’s text, the same in the registry', async () => {
      // given
      await create('put/immutable', { imageTagMutability: 'IMMUTABLE' });
      const first = await image();
      const second = await image();
      await reg.pushImage('put/immutable', 'v1', first);
      for (const blob of second.blobs) await reg.pushBlob('put/immutable', blob);
      const text = "The image tag 'v1' already exists in the 'put/immutable' repository and cannot be overwritten because the repository is immutable.";
      // then
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/immutable', imageTag: 'v1', imageManifest: second.manifest.toString() })),
        'ImageTagAlreadyExistsException',
        text,
      );
      const viaRegistry = await reg.pushManifest('put/immutable', 'v1', second.manifest, OCI_MANIFEST);
      assert.equal(viaRegistry.status, 400);
      assert.equal(viaRegistry.json<{ errors: { message: string }[] }>().errors[0]!.message, text);
      assert.equal((await pull('put/immutable', 'v1')).headers['docker-content-digest'], first.digest);
    });

    it('checks imageDigest, layers, index children, the media type and the JSON', async () => {
      await create('put/checks');
      const fresh = await image();
      const [config, ...layers] = fresh.blobs;
      await reg.pushBlob('put/checks', config!);
      const manifest = fresh.manifest.toString();
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'v1', imageManifest: manifest, imageDigest: sha256('other') })),
        'ImageDigestDoesNotMatchException',
        `The specified image digest ${sha256('other')} does not match the digest that Amazon ECR calculated for the image: ${fresh.digest}`,
      );
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'v1', imageManifest: manifest })),
        'LayersNotFoundException',
        `Layers with digests '[${layers.map((l) => sha256(l)).join(', ')}]' required for pushing image into repository with name 'put/checks' in the registry with id '${ACCOUNT}' do not exist`,
      );
      const index = buildIndex([fresh]);
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'multi', imageManifest: index.manifest.toString() })),
        'ReferencedImagesNotFoundException',
        `Images with digests '[${fresh.digest}]' required for pushing image into repository with name 'put/checks' in the registry with id '${ACCOUNT}' do not exist`,
      );
      // no mediaType in the manifest and none given: ECR's "Invalid JSON syntax"
      for (const blob of layers) await reg.pushBlob('put/checks', blob);
      const bare = JSON.parse(manifest) as Record<string, unknown>;
      delete bare.mediaType;
      const bareText = JSON.stringify(bare);
      const invalidJson = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'bare', imageManifest: bareText })),
        'InvalidParameterException',
        `${invalidJson} (the manifest has no mediaType field and the request no imageManifestMediaType; name the manifest's type in imageManifestMediaType)`,
      );
      await rejects(ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'bad', imageManifest: '{"schemaVersion": 2,' })), 'InvalidParameterException', invalidJson);
      // … which imageManifestMediaType fixes
      const put = await ecr.send(
        new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'bare', imageManifest: bareText, imageManifestMediaType: OCI_MANIFEST }),
      );
      assert.equal(put.image!.imageId!.imageDigest, sha256(bareText));
      assert.equal((await pull('put/checks', 'bare')).text, bareText);
      // … for a Docker schema 2 manifest too, as ECR honours the declared type
      const docker = await image({ format: 'docker' });
      for (const blob of docker.blobs) await reg.pushBlob('put/checks', blob);
      const bareDocker = JSON.parse(docker.manifest.toString()) as Record<string, unknown>;
      delete bareDocker.mediaType;
      const bareDockerText = JSON.stringify(bareDocker);
      const putDocker = await ecr.send(
        new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'bare-docker', imageManifest: bareDockerText, imageManifestMediaType: DOCKER_MANIFEST }),
      );
      assert.equal(putDocker.image!.imageManifestMediaType, DOCKER_MANIFEST);
      const pulledDocker = await pull('put/checks', 'bare-docker');
      assert.equal(pulledDocker.headers['content-type'], DOCKER_MANIFEST);
      assert.equal(pulledDocker.text, bareDockerText);
      // a tag the registry could never serve
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/checks', imageTag: 'not a tag', imageManifest: manifest })),
        'InvalidParameterException',
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}''",
      );
      await rejects(
        ecr.send(new PutImageCommand({ repositoryName: 'put/none', imageTag: 'v1', imageManifest: manifest })),
        'RepositoryNotFoundException',
        `The repository with name 'put/none' does not exist in the registry with id '${ACCOUNT}'`,
      );
    });
  });

  describe('BatchDeleteImage', () => {
    it('untags by tag, deletes with the last tag or by digest, and the registry agrees at once', async () => {
      // given one image with three tags and one with one
      await create('del/app');
      const a = await image();
      const b = await image();
      await reg.pushImage('del/app', 'a1', a);
      for (const tag of ['a2', 'a3']) await reg.pushManifest('del/app', tag, a.manifest, OCI_MANIFEST);
      await reg.pushImage('del/app', 'b1', b);
      // when a tag of three goes
      let res = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'del/app', imageIds: [{ imageTag: 'a1' }] }));
      // then only the tag went
      assert.deepEqual(res, { ...res, imageIds: [{ imageDigest: a.digest, imageTag: 'a1' }], failures: [] });
      assert.equal((await pull('del/app', 'a1')).status, 404);
      assert.equal((await pull('del/app', 'a2')).status, 200);
      // when the digest goes
      res = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'del/app', imageIds: [{ imageDigest: a.digest }] }));
      // then the image and every tag went
      assert.deepEqual(res.imageIds, [
        { imageDigest: a.digest, imageTag: 'a2' },
        { imageDigest: a.digest, imageTag: 'a3' },
      ]);
      for (const ref of ['a2', 'a3', a.digest]) assert.equal((await pull('del/app', ref)).status, 404);
      // when the last tag of b goes, b goes
      res = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'del/app', imageIds: [{ imageTag: 'b1' }, { imageTag: 'b1' }, { imageTag: 'zz' }] }));
      assert.deepEqual(res.imageIds, [{ imageDigest: b.digest, imageTag: 'b1' }]);
      assert.deepEqual(res.failures, [
        { imageId: { imageTag: 'b1' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
        { imageId: { imageTag: 'zz' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      ]);
      const missing = await pull('del/app', b.digest);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json<{ errors: { code: string; message: string }[] }>().errors[0]!.code, 'MANIFEST_UNKNOWN');
      assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'del/app' }))).imageDetails, []);
    });

    it('keeps a child of an index: ImageReferencedByManifestList', async () => {
      await create('del/multi');
      const child = await image();
      await reg.pushImage('del/multi', child.digest, child);
      const index = buildIndex([child]);
      await reg.pushManifest('del/multi', 'multi', index.manifest, OCI_INDEX);
      const res = await ecr.send(
        new BatchDeleteImageCommand({ repositoryName: 'del/multi', imageIds: [{ imageDigest: child.digest }, { imageDigest: 'bad' }] }),
      );
      assert.deepEqual(res.imageIds, []);
      assert.deepEqual(res.failures, [
        {
          imageId: { imageDigest: child.digest },
          failureCode: 'ImageReferencedByManifestList',
          failureReason: `Requested image referenced by manifest list: [${index.digest}]`,
        },
        {
          imageId: { imageDigest: 'bad' },
          failureCode: 'InvalidImageDigest',
          failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
      ]);
      assert.equal((await pull('del/multi', child.digest)).status, 200);
      // the index first, then the child
      await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'del/multi', imageIds: [{ imageTag: 'multi' }] }));
      const after = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'del/multi', imageIds: [{ imageDigest: child.digest }] }));
      assert.deepEqual(after.imageIds, [{ imageDigest: child.digest }]);
    });
  });

  describe('ListImageReferrers', () => {
    it('lists what the registry’s referrers endpoint lists, filtered and paged', async () => {
      // given an image and three artifacts that refer to it
      await create('refs/app');
      const subjectImage = await image();
      await reg.pushImage('refs/app', 'v1', subjectImage);
      const subject = { mediaType: OCI_MANIFEST, digest: subjectImage.digest, size: subjectImage.manifest.length };
      const artifacts: BuiltImage[] = [];
      for (const [i, type] of ['application/vnd.example.sbom', 'application/vnd.example.sig', 'application/vnd.example.sig'].entries()) {
        const art = await image({ layers: 1, layerSize: 50, subject, artifactType: type, annotations: { n: String(i) } });
        await reg.pushImage('refs/app', art.digest, art);
        artifacts.push(art);
        clock.advance(1);
      }
      // when
      const api = await ecr.send(new ListImageReferrersCommand({ repositoryName: 'refs/app', subjectId: { imageDigest: subjectImage.digest } }));
      const http = (await reg.request('GET', `/v2/refs/app/referrers/${subjectImage.digest}`)).json<{ manifests: Record<string, unknown>[] }>();
      // then the two views agree
      assert.deepEqual(
        api.referrers,
        http.manifests.map((m) => ({ ...m, artifactStatus: 'ACTIVE' })),
      );
      assert.deepEqual(api.referrers!.map((r) => r.digest), artifacts.map((a) => a.digest));
      assert.deepEqual(api.referrers![0], {
        digest: artifacts[0]!.digest,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sbom',
        size: artifacts[0]!.manifest.length,
        annotations: { n: '0' },
        artifactStatus: 'ACTIVE',
      });
      // the referrer knows its subject
      assert.equal((await describeOne('refs/app', artifacts[0]!.digest)).subjectManifestDigest, subjectImage.digest);
      // filtered by artifact type, paged
      const sigs = await ecr.send(
        new ListImageReferrersCommand({
          repositoryName: 'refs/app',
          subjectId: { imageDigest: subjectImage.digest },
          filter: { artifactTypes: ['application/vnd.example.sig'] },
          maxResults: 1,
        }),
      );
      assert.deepEqual(sigs.referrers!.map((r) => r.digest), [artifacts[1]!.digest]);
      const rest = await ecr.send(
        new ListImageReferrersCommand({
          repositoryName: 'refs/app',
          subjectId: { imageDigest: subjectImage.digest },
          filter: { artifactTypes: ['application/vnd.example.sig'] },
          maxResults: 1,
          nextToken: sigs.nextToken,
        }),
      );
      assert.deepEqual(rest.referrers!.map((r) => r.digest), [artifacts[2]!.digest]);
      assert.equal(rest.nextToken, undefined);
      // an unknown subject has none
      const none = await ecr.send(new ListImageReferrersCommand({ repositoryName: 'refs/app', subjectId: { imageDigest: sha256('x') } }));
      assert.deepEqual(none.referrers, []);
    });
  });

  describe('UpdateImageStorageClass', () => {
    it('archives (not pullable, hidden from default listings) and restores through ACTIVATING', async () => {
      // given
      await create('archive/app');
      const img = await image();
      await reg.pushImage('archive/app', 'v1', img);
      // when
      const archived = await ecr.send(
        new UpdateImageStorageClassCommand({ repositoryName: 'archive/app', imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' }),
      );
      const archivedAt = clock.now();
      // then
      assert.deepEqual(
        { ...archived, $metadata: undefined },
        { $metadata: undefined, registryId: ACCOUNT, repositoryName: 'archive/app', imageId: { imageDigest: img.digest, imageTag: 'v1' }, imageStatus: 'ARCHIVED' },
      );
      assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'archive/app' }))).imageDetails, []);
      assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName: 'archive/app' }))).imageIds, []);
      const detail = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'archive/app', filter: { imageStatus: 'ARCHIVED' } }))).imageDetails![0]!;
      assert.equal(detail.imageStatus, 'ARCHIVED');
      assert.equal(detail.lastArchivedAt?.getTime(), archivedAt.getTime());
      const refused = await pull('archive/app', 'v1');
      assert.equal(refused.status, 404);
      assert.equal(refused.json<{ errors: { code: string; message: string }[] }>().errors[0]!.message, 'Requested image not found');
      const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'archive/app', imageIds: [{ imageTag: 'v1' }] }));
      assert.deepEqual(got.failures, [{ imageId: { imageTag: 'v1' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
      await rejects(
        ecr.send(new StartImageScanCommand({ repositoryName: 'archive/app', imageId: { imageTag: 'v1' } })),
        'ImageArchivedException',
        'The specified image is archived and cannot be scanned.',
      );
      // when restored
      const restoring = await ecr.send(
        new UpdateImageStorageClassCommand({ repositoryName: 'archive/app', imageId: { imageDigest: img.digest }, targetStorageClass: 'STANDARD' }),
      );
      // then ACTIVATING, still not pullable
      assert.equal(restoring.imageStatus, 'ACTIVATING');
      const activating = await ecr.send(new DescribeImagesCommand({ repositoryName: 'archive/app', filter: { imageStatus: 'ACTIVATING' } }));
      assert.deepEqual(activating.imageDetails!.map((d) => d.imageDigest), [img.digest]);
      assert.equal((await pull('archive/app', 'v1')).status, 404);
      // until the restore completes
      clock.advance(2_000);
      const active = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'archive/app' }))).imageDetails![0]!;
      assert.equal(active.imageStatus, 'ACTIVE');
      assert.equal(active.lastActivatedAt?.getTime(), clock.now().getTime());
      assert.equal((await pull('archive/app', 'v1')).status, 200);
    });

    it('restores an archived image at once when it is pushed again', async () => {
      await create('archive/repush');
      const img = await image();
      await reg.pushImage('archive/repush', 'v1', img);
      await ecr.send(new UpdateImageStorageClassCommand({ repositoryName: 'archive/repush', imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' }));
      assert.equal((await reg.pushManifest('archive/repush', 'v1', img.manifest, OCI_MANIFEST)).status, 201);
      assert.equal((await describeOne('archive/repush', img.digest)).imageStatus, 'ACTIVE');
      assert.equal((await pull('archive/repush', 'v1')).status, 200);
      await rejects(
        ecr.send(new UpdateImageStorageClassCommand({ repositoryName: 'archive/repush', imageId: { imageTag: 'gone' }, targetStorageClass: 'ARCHIVE' })),
        'ImageNotFoundException',
        notFound('archive/repush', null, 'gone'),
      );
    });
  });

  describe('basic scanning', () => {
    it('has no scan before StartImageScan, then COMPLETE with no findings, once a day', async () => {
      // given
      await create('scan/app');
      const img = await image();
      await reg.pushImage('scan/app', 'v1', img);
      await rejects(
        ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'scan/app', imageId: { imageTag: 'v1' } })),
        'ScanNotFoundException',
        `Image scan does not exist for the image with '{imageDigest:'null', imageTag:'v1'}' in the repository with name 'scan/app' in the registry with id '${ACCOUNT}'`,
      );
      // when
      const started = await ecr.send(new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageTag: 'v1' } }));
      // then
      assert.deepEqual(started.imageScanStatus, { status: 'IN_PROGRESS' });
      assert.deepEqual(started.imageId, { imageDigest: img.digest, imageTag: 'v1' });
      const findings = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'scan/app', imageId: { imageDigest: img.digest } }));
      assert.equal(findings.imageScanStatus!.status, 'COMPLETE');
      assert.match(findings.imageScanStatus!.description!, /^The scan was completed successfully\. simfra has no vulnerability database/);
      assert.deepEqual(findings.imageScanFindings, { imageScanCompletedAt: findings.imageScanFindings!.imageScanCompletedAt, findingSeverityCounts: {}, findings: [] });
      const detail = await describeOne('scan/app', img.digest);
      assert.equal(detail.imageScanStatus!.status, 'COMPLETE');
      assert.deepEqual(detail.imageScanFindingsSummary!.findingSeverityCounts, {});
      // once per 24 hours
      await rejects(
        ecr.send(new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageTag: 'v1' } })),
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    });

    it('scans on push when the repository says so, for registry pushes and PutImage alike', async () => {
      await create('scan/onpush', { imageScanningConfiguration: { scanOnPush: true } });
      const img = await image();
      await reg.pushImage('scan/onpush', 'v1', img);
      const detail = await describeOne('scan/onpush', img.digest);
      assert.equal(detail.imageScanStatus!.status, 'COMPLETE');
      // the push counts against the daily scan
      await rejects(ecr.send(new StartImageScanCommand({ repositoryName: 'scan/onpush', imageId: { imageTag: 'v1' } })), 'LimitExceededException');
      // an index cannot be scanned
      const index = buildIndex([img]);
      await ecr.send(new PutImageCommand({ repositoryName: 'scan/onpush', imageTag: 'multi', imageManifest: index.manifest.toString() }));
      assert.deepEqual((await describeOne('scan/onpush', index.digest)).imageScanStatus, {
        status: 'UNSUPPORTED_IMAGE',
        description: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
      });
      await rejects(
        ecr.send(new StartImageScanCommand({ repositoryName: 'scan/onpush', imageId: { imageTag: 'multi' } })),
        'UnsupportedImageTypeException',
        'The image is of a type that cannot be scanned.',
      );
    });

    it('scans on push where a registry scanning rule says so', async () => {
      // given the default configuration
      const initial = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
      assert.deepEqual(initial.scanningConfiguration, { scanType: 'BASIC', rules: [] });
      assert.equal(initial.registryId, ACCOUNT);
      // when a rule selects scan/rule-*
      const filters = [{ filter: 'scan/rule-*', filterType: 'WILDCARD' as const }];
      const put = await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: filters }] }));
      assert.deepEqual(put.registryScanningConfiguration, { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: filters }] });
      await create('scan/rule-app');
      await create('scan/other');
      const img = await image();
      await reg.pushImage('scan/rule-app', 'v1', img);
      await reg.pushImage('scan/other', 'v1', img);
      // then only the selected repository scans on push
      assert.equal((await describeOne('scan/rule-app', img.digest)).imageScanStatus?.status, 'COMPLETE');
      assert.equal((await describeOne('scan/other', img.digest)).imageScanStatus, undefined);
      const configs = await ecr.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: ['scan/rule-app', 'scan/other', 'scan/none'] }));
      assert.deepEqual(configs.scanningConfigurations, [
        {
          repositoryArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/scan/rule-app`,
          repositoryName: 'scan/rule-app',
          scanOnPush: true,
          scanFrequency: 'SCAN_ON_PUSH',
          appliedScanFilters: filters,
        },
        {
          repositoryArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/scan/other`,
          repositoryName: 'scan/other',
          scanOnPush: false,
          scanFrequency: 'MANUAL',
          appliedScanFilters: [],
        },
      ]);
      assert.deepEqual(configs.failures, [{ repositoryName: 'scan/none', failureCode: 'REPOSITORY_NOT_FOUND', failureReason: 'REPOSITORY_NOT_FOUND' }]);
      // continuous scanning needs ENHANCED
      await rejects(
        ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: filters }] })),
        'ValidationException',
        'CONTINUOUS_SCAN is only supported with the ENHANCED scan type; BASIC scanning supports SCAN_ON_PUSH.',
      );
      await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
    });

    it('allows the next scan a day later', async () => {
      clock.advance(24 * 3600 * 1000);
      const again = await ecr.send(new StartImageScanCommand({ repositoryName: 'scan/app', imageId: { imageTag: 'v1' } }));
      assert.equal(again.imageScanStatus!.status, 'IN_PROGRESS');
    });
  });
});
