import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteSigningConfigurationCommand,
  DescribeImageSigningStatusCommand,
  DescribeImagesCommand,
  GetAuthorizationTokenCommand,
  ListImageReferrersCommand,
  PutImageCommand,
  PutReplicationConfigurationCommand,
  GetSigningConfigurationCommand,
  PutSigningConfigurationCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { adminFetch, runJob } from '../support/admin.js';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { rejects } from '../support/ecr-images.js';
import { buildImage, buildIndex, indexBlobs, writeOciLayout, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, REGION, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool, run } from '../support/tools.js';

const PROFILE = `arn:aws:signer:${REGION}:${ACCOUNT}:/signing-profiles/release_signer`;
const WEST_PROFILE = `arn:aws:signer:us-west-2:${ACCOUNT}:/signing-profiles/release_signer`;
const NOTARY_SIGNATURE = 'application/vnd.cncf.notary.signature';

interface Envelope {
  payload: string;
  protected: string;
  header: { x5c: string[]; 'io.cncf.notary.signingAgent': string };
  signature: string;
}

const statusesOf = async (ecr: ECRClient, repositoryName: string, imageDigest: string) =>
  ((await ecr.send(new DescribeImageSigningStatusCommand({ repositoryName, imageId: { imageDigest } }))).signingStatuses ?? []).map((s) => ({
    signingProfileArn: s.signingProfileArn,
    status: s.status,
    ...(s.failureCode ? { failureCode: s.failureCode } : {}),
    ...(s.failureReason ? { failureReason: s.failureReason } : {}),
  }));

/** The Notary signatures the registry's referrers API lists for `digest`. */
async function signaturesOf(reg: Registry, name: string, digest: string): Promise<{ digest: string; artifactType: string; annotations?: Record<string, string> }[]> {
  const res = await reg.request('GET', `/v2/${name}/referrers/${digest}?artifactType=${encodeURIComponent(NOTARY_SIGNATURE)}`);
  assert.equal(res.status, 200, res.text);
  return res.json<{ manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] }>().manifests;
}

/** The signature manifest and its JWS envelope, pulled through the registry. */
async function pullSignature(reg: Registry, name: string, digest: string): Promise<{ manifest: Record<string, unknown>; envelope: Envelope; envelopeBytes: Buffer }> {
  const m = await reg.request('GET', `/v2/${name}/manifests/${digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(m.status, 200, m.text);
  const manifest = m.json<{ layers: { digest: string; mediaType: string }[] } & Record<string, unknown>>();
  const blob = await reg.request('GET', `/v2/${name}/blobs/${manifest.layers[0]!.digest}`);
  assert.equal(blob.status, 200, blob.text);
  return { manifest, envelope: JSON.parse(blob.body.toString()) as Envelope, envelopeBytes: blob.body };
}

const pemOf = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

/** An ECDSA JWS signature (r||s, 48 bytes each for P-384) as the DER SEQUENCE openssl reads. */
function derSignature(raw: Buffer): Buffer {
  const int = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const half = raw.length / 2;
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/**
 * Verifies with openssl alone: the leaf (x5c[0]) chains to `rootPem`, and the envelope's signature
 * over BASE64URL(protected).BASE64URL(payload) verifies under the leaf's public key (ES384).
 */
async function opensslVerify(dir: string, rootPem: string, envelope: Envelope): Promise<{ chain: string; signature: { ok: boolean; out: string } }> {
  writeFileSync(join(dir, 'root.pem'), rootPem);
  writeFileSync(join(dir, 'leaf.pem'), pemOf(Buffer.from(envelope.header.x5c[0]!, 'base64')));
  writeFileSync(join(dir, 'chain.pem'), envelope.header.x5c.slice(1).map((c) => pemOf(Buffer.from(c, 'base64'))).join(''));
  const chain = await run('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')]);
  const pub = await run('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-pubkey', '-noout']);
  writeFileSync(join(dir, 'leaf.pub'), pub.stdout);
  writeFileSync(join(dir, 'input'), `${envelope.protected}.${envelope.payload}`);
  writeFileSync(join(dir, 'sig.der'), derSignature(Buffer.from(envelope.signature, 'base64url')));
  try {
    const out = await run('openssl', ['dgst', '-sha384', '-verify', join(dir, 'leaf.pub'), '-signature', join(dir, 'sig.der'), join(dir, 'input')]);
    return { chain: chain.stdout.trim(), signature: { ok: true, out: out.stdout.trim() } };
  } catch (e) {
    return { chain: chain.stdout.trim(), signature: { ok: false, out: String((e as { stdout?: string }).stdout ?? e) } };
  }
}

/** The same checks with python's `cryptography` (a second verifier that is not simfra's); prints "ok" or the failure. */
const PY_VERIFY = `
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
env = json.load(open(sys.argv[1])); root = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
b64 = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
leaf = x509.load_der_x509_certificate(base64.b64decode(env['header']['x5c'][0]))
leaf.verify_directly_issued_by(root)
assert leaf.issuer.public_bytes() == root.subject.public_bytes(), 'issuer bytes'
raw = b64(env['signature']); n = len(raw) // 2
try:
    leaf.public_key().verify(encode_dss_signature(int.from_bytes(raw[:n], 'big'), int.from_bytes(raw[n:], 'big')),
                             (env['protected'] + '.' + env['payload']).encode(), ec.ECDSA(hashes.SHA384()))
    print('ok', json.loads(b64(env['payload']))['targetArtifact']['digest'])
except Exception as e:
    print('bad', type(e).__name__)
`;

describe('ECR managed signing', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let app: BuiltImage;
  const dir = tempDir('simfra-signing-');

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    app = await buildImage({ layers: 1, layerSize: 20_000, seed: 41 });
    for (const repositoryName of ['prod/app', 'dev/app']) await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  after(async () => {
    ecr.destroy();
    await server.close();
    dir.remove();
  });

  it('has no configuration at first, and refuses a malformed profile ARN and more than 10 rules, storing nothing', async () => {
    // given
    const none = "Signing configuration does not exist in the registry with id '000000000000'";
    // when
    const get = rejects(ecr.send(new GetSigningConfigurationCommand({})), 'SigningConfigurationNotFoundException', none);
    const del = rejects(ecr.send(new DeleteSigningConfigurationCommand({})), 'SigningConfigurationNotFoundException', none);
    const badArn = rejects(
      ecr.send(new PutSigningConfigurationCommand({ signingConfiguration: { rules: [{ signingProfileArn: 'arn:aws:signer:us-east-1:000000000000:signing-profiles/x' }] } })),
      'InvalidParameterException',
      "Invalid parameter at 'signingConfiguration.rules.1.member.signingProfileArn' failed to satisfy constraint: 'Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\\/signing-profiles\\/[a-zA-Z0-9_]{2,}$'",
    );
    const eleven = Array.from({ length: 11 }, () => ({ signingProfileArn: PROFILE }));
    const tooMany = rejects(
      ecr.send(new PutSigningConfigurationCommand({ signingConfiguration: { rules: eleven } })),
      'InvalidParameterException',
      "Invalid parameter at 'signingConfiguration.rules' failed to satisfy constraint: 'Member must have length less than or equal to 10'",
    );
    const badFilter = rejects(
      ecr.send(
        new PutSigningConfigurationCommand({
          signingConfiguration: { rules: [{ signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' as 'WILDCARD_MATCH' }] }] },
        }),
      ),
      'InvalidParameterException',
      "Invalid parameter at 'signingConfiguration.rules.1.member.repositoryFilters.1.member.filterType' failed to satisfy constraint: 'Member must satisfy enum value set: [WILDCARD_MATCH]'",
    );
    // then
    await get;
    await del;
    await badArn;
    await tooMany;
    await badFilter;
    await rejects(ecr.send(new GetSigningConfigurationCommand({})), 'SigningConfigurationNotFoundException', none);
  });

  it('stores the configuration (SDK), shows it to the CLI, deletes it with boto3', async (t) => {
    if (!(await hasTool('aws')) || !(await hasTool('python3'))) return t.skip('needs the aws CLI and python3 with boto3');
    // given
    const config = { rules: [{ signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD_MATCH' as const }] }] };
    // when
    const put = await ecr.send(new PutSigningConfigurationCommand({ signingConfiguration: config }));
    const shown = await awsCli(server.url, ['ecr', 'get-signing-configuration']);
    const deleted = (await boto3(server.url, 'ecr', 'out(client.delete_signing_configuration())')) as Record<string, unknown>;
    // then
    assert.deepEqual(put.signingConfiguration, config);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(shown.json(), { registryId: ACCOUNT, signingConfiguration: config });
    assert.equal(deleted.registryId, ACCOUNT);
    assert.deepEqual(deleted.signingConfiguration, config);
    await rejects(ecr.send(new GetSigningConfigurationCommand({})), 'SigningConfigurationNotFoundException');
  });

  it('signs a push to a matching repository with a Notary signature that openssl verifies, and leaves other repositories alone', async (t) => {
    if (!(await hasTool('openssl', 'version'))) return t.skip('needs openssl');
    // given
    await ecr.send(
      new PutSigningConfigurationCommand({
        signingConfiguration: {
          rules: [
            { signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD_MATCH' }] },
            { signingProfileArn: WEST_PROFILE, repositoryFilters: [{ filter: '*prod*', filterType: 'WILDCARD_MATCH' }] },
          ],
        },
      }),
    );
    // when
    const digest = await reg.pushImage('prod/app', 'v1', app);
    const dev = await reg.pushImage('dev/app', 'v1', app);
    const first = await statusesOf(ecr, 'prod/app', digest);
    const run1 = await runJob(server.url, 'ecr-signing');
    // then: one status per profile, IN_PROGRESS (unless the kicked run already finished), then final
    assert.deepEqual(first.map((s) => s.signingProfileArn).sort(), [PROFILE, WEST_PROFILE].sort());
    for (const s of first) assert.ok(s.status === 'IN_PROGRESS' || s.status === 'COMPLETE' || s.status === 'FAILED', String(s.status));
    assert.ok(typeof run1.signed === 'number');
    const done = await statusesOf(ecr, 'prod/app', digest);
    assert.deepEqual(done.find((s) => s.signingProfileArn === PROFILE), { signingProfileArn: PROFILE, status: 'COMPLETE' });
    assert.deepEqual(done.find((s) => s.signingProfileArn === WEST_PROFILE), {
      signingProfileArn: WEST_PROFILE,
      status: 'FAILED',
      failureCode: 'SIGNING_PROFILE_NOT_FOUND',
      failureReason: `The signing profile ${WEST_PROFILE} was not found: simfra has no AWS Signer, and treats only profiles in the registry's own account and region as existing`,
    });
    assert.deepEqual(await statusesOf(ecr, 'dev/app', dev), []);
    assert.deepEqual(await signaturesOf(reg, 'dev/app', dev), []);

    const sigs = await signaturesOf(reg, 'prod/app', digest);
    assert.equal(sigs.length, 1);
    const api = await ecr.send(new ListImageReferrersCommand({ repositoryName: 'prod/app', subjectId: { imageDigest: digest } }));
    assert.deepEqual(api.referrers?.map((r) => [r.digest, r.artifactType]), [[sigs[0]!.digest, NOTARY_SIGNATURE]]);
    const { manifest, envelope } = await pullSignature(reg, 'prod/app', sigs[0]!.digest);
    assert.equal(manifest.artifactType, NOTARY_SIGNATURE);
    assert.deepEqual(manifest.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
    assert.equal((manifest.layers as { mediaType: string }[])[0]!.mediaType, 'application/jose+json');
    assert.deepEqual(manifest.subject, { mediaType: app.mediaType, digest, size: app.manifest.length });
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(header.alg, 'ES384');
    assert.equal(header.cty, 'application/vnd.cncf.notary.payload.v1+json');
    assert.equal(header['io.cncf.notary.signingScheme'], 'notary.x509');
    assert.deepEqual(header.crit, ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']);
    assert.match(String(header['io.cncf.notary.signingTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: { digest: string; mediaType: string; size: number } };
    assert.deepEqual(payload.targetArtifact, { mediaType: app.mediaType, digest, size: app.manifest.length });

    // the certificates from the admin API, and openssl's verdicts
    const certs = (await (await adminFetch(server.url, `/signing/certificates?signingProfileArn=${encodeURIComponent(PROFILE)}`)).json()) as {
      rootCertificate: string;
      certificate: string;
      certificateChain: string;
      platformId: string;
    };
    assert.equal(certs.platformId, 'Notation-OCI-SHA384-ECDSA');
    assert.equal(certs.certificate.replace(/-----[A-Z ]+-----|\s/g, ''), envelope.header.x5c[0]);
    assert.equal(certs.certificateChain, certs.certificate + certs.rootCertificate);
    const thumbprints = JSON.parse(sigs[0]!.annotations?.['io.cncf.notary.x509chain.thumbprint#S256'] ?? '[]') as string[];
    assert.equal(thumbprints.length, 2);
    const verdict = await opensslVerify(dir.path, certs.rootCertificate, envelope);
    assert.equal(verdict.chain, `${join(dir.path, 'leaf.pem')}: OK`);
    assert.deepEqual(verdict.signature, { ok: true, out: 'Verified OK' });
    const rootFp = (await run('openssl', ['x509', '-in', join(dir.path, 'root.pem'), '-noout', '-fingerprint', '-sha256'])).stdout;
    assert.equal(thumbprints[1], rootFp.trim().split('=')[1]!.replaceAll(':', '').toLowerCase());
    const usage = (await run('openssl', ['x509', '-in', join(dir.path, 'leaf.pem'), '-noout', '-ext', 'keyUsage,extendedKeyUsage'])).stdout;
    assert.match(usage, /X509v3 Key Usage: critical\s+Digital Signature\s/);
    assert.match(usage, /Code Signing/);

    if (await hasTool('python3', '-c', 'import cryptography')) {
      writeFileSync(join(dir.path, 'envelope.json'), JSON.stringify(envelope));
      writeFileSync(join(dir.path, 'forged.json'), JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify({ targetArtifact: { ...payload.targetArtifact, size: 1 } })).toString('base64url') }));
      const good = await run('python3', ['-c', PY_VERIFY, join(dir.path, 'envelope.json'), join(dir.path, 'root.pem')]);
      const bad = await run('python3', ['-c', PY_VERIFY, join(dir.path, 'forged.json'), join(dir.path, 'root.pem')]);
      assert.equal(good.stdout.trim(), `ok ${digest}`);
      assert.equal(bad.stdout.trim(), 'bad InvalidSignature');
    } else t.diagnostic('python3 with cryptography not installed: verified with openssl only');
    // a payload naming another digest does not verify
    const forged = { ...payload, targetArtifact: { ...payload.targetArtifact, digest: `sha256:${'0'.repeat(64)}` } };
    const tampered = await opensslVerify(dir.path, certs.rootCertificate, { ...envelope, payload: Buffer.from(JSON.stringify(forged)).toString('base64url') });
    assert.equal(tampered.signature.ok, false);
  });

  it('signs an image stored with PutImage too, and not a referrer pushed by a client', async () => {
    // given
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 44 });
    for (const blob of image.blobs) await reg.pushBlob('prod/app', blob);
    const sbom = await buildImage({ layers: 1, layerSize: 100, seed: 45, artifactType: 'application/spdx+json', subject: image.descriptor });
    // when
    const put = await ecr.send(
      new PutImageCommand({ repositoryName: 'prod/app', imageManifest: image.manifest.toString(), imageManifestMediaType: image.mediaType, imageTag: 'api' }),
    );
    const sbomDigest = await reg.pushImage('prod/app', sbom.digest, sbom);
    await runJob(server.url, 'ecr-signing');
    // then
    assert.equal(put.image?.imageId?.imageDigest, image.digest);
    // (the previous test's configuration is in force: the us-west-2 profile fails)
    assert.deepEqual(
      (await statusesOf(ecr, 'prod/app', image.digest)).map((s) => [s.signingProfileArn, s.status]),
      [
        [PROFILE, 'COMPLETE'],
        [WEST_PROFILE, 'FAILED'],
      ],
    );
    assert.equal((await signaturesOf(reg, 'prod/app', image.digest)).length, 1);
    assert.deepEqual(await statusesOf(ecr, 'prod/app', sbomDigest), []);
    assert.deepEqual(await signaturesOf(reg, 'prod/app', sbomDigest), []);
  });

  it('signs a multi-platform index that skopeo pushes, and each of its images', async (t) => {
    if (!(await hasTool('skopeo'))) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    // given
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'prod/multi' }));
    const index = buildIndex([
      await buildImage({ layers: 1, layerSize: 1000, seed: 46, platform: { os: 'linux', architecture: 'amd64' } }),
      await buildImage({ layers: 1, layerSize: 1000, seed: 47, platform: { os: 'linux', architecture: 'arm64' } }),
    ]);
    const layout = tempDir('simfra-signing-layout-');
    await writeOciLayout(layout.path, [{ tag: 'multi', manifest: index.manifest, mediaType: index.mediaType, blobs: indexBlobs(index) }]);
    try {
      // when
      await run('skopeo', ['copy', '--all', '--dest-tls-verify=false', '--dest-creds', `AWS:${reg.password}`, `oci:${layout.path}:multi`, `docker://127.0.0.1:${server.port}/prod/multi:v1`]);
      await runJob(server.url, 'ecr-signing');
      // then
      for (const digest of [index.digest, ...index.images.map((i) => i.digest)]) {
        const mine = (await statusesOf(ecr, 'prod/multi', digest)).find((st) => st.signingProfileArn === PROFILE);
        assert.equal(mine?.status, 'COMPLETE', digest);
        const [sig] = await signaturesOf(reg, 'prod/multi', digest);
        assert.ok(sig, digest);
        const { envelope } = await pullSignature(reg, 'prod/multi', sig.digest);
        const target = (JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: { digest: string; mediaType: string } }).targetArtifact;
        assert.equal(target.digest, digest);
        assert.equal(target.mediaType, digest === index.digest ? index.mediaType : 'application/vnd.oci.image.manifest.v1+json');
      }
    } finally {
      layout.remove();
    }
  });

  it('publishes the root CA and the profile certificates on the admin API (signed requests only)', async () => {
    // given
    const arn = encodeURIComponent(PROFILE);
    // when
    const all = await adminFetch(server.url, `/signing/certificates?accountId=${ACCOUNT}`);
    const profile = await adminFetch(server.url, `/signing/certificates?signingProfileArn=${arn}`);
    const unsigned = await adminFetch(server.url, `/signing/certificates?signingProfileArn=${arn}`, { credentials: null });
    const badArn = await adminFetch(server.url, '/signing/certificates?signingProfileArn=arn:aws:signer:us-east-1:000000000000:nope');
    const noAccount = await adminFetch(server.url, '/signing/certificates?accountId=999999999999');
    // then
    assert.equal(all.status, 200);
    const listed = (await all.json()) as { accountId: string; rootCertificate: string; profiles: { signingProfileArn: string; certificate: string }[] };
    const one = (await profile.json()) as { rootCertificate: string; certificate: string };
    assert.equal(listed.accountId, ACCOUNT);
    assert.equal(listed.rootCertificate, one.rootCertificate);
    assert.match(listed.rootCertificate, /^-----BEGIN CERTIFICATE-----\n/);
    assert.deepEqual(listed.profiles.find((p) => p.signingProfileArn === PROFILE)?.certificate, one.certificate);
    assert.equal(unsigned.status, 401);
    assert.equal(badArn.status, 400);
    assert.equal(noAccount.status, 404);
  });

  it('replicates the signature after its image', async () => {
    // given
    await ecr.send(
      new PutReplicationConfigurationCommand({
        replicationConfiguration: { rules: [{ destinations: [{ region: 'us-west-2', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'prod/app', filterType: 'PREFIX_MATCH' }] }] },
      }),
    );
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 48 });
    // when
    const digest = await reg.pushImage('prod/app', 'replicated', image);
    await runJob(server.url, 'ecr-signing');
    await runJob(server.url, 'ecr-replication');
    // then
    const west = ecrClient(server.url, undefined, 'us-west-2');
    try {
      const token = (await west.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!;
      const westReg = new Registry(server.port, Buffer.from(token, 'base64').toString().slice('AWS:'.length), `${ACCOUNT}.dkr.ecr.us-west-2.localhost:${server.port}`);
      const [here] = await signaturesOf(reg, 'prod/app', digest);
      const there = await signaturesOf(westReg, 'prod/app', digest);
      assert.ok(here);
      assert.deepEqual(there.map((x) => x.digest), [here.digest]);
    } finally {
      west.destroy();
      await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [] } }));
    }
  });

  it('deletes the signature with its image', async () => {
    // given
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 42 });
    const digest = await reg.pushImage('prod/app', 'v2', image);
    await runJob(server.url, 'ecr-signing');
    const [sig] = await signaturesOf(reg, 'prod/app', digest);
    assert.ok(sig);
    // when
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'prod/app', imageIds: [{ imageDigest: digest }] }));
    // then
    const left = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'prod/app' }))).imageDetails ?? [];
    assert.ok(!left.some((i) => i.imageDigest === sig.digest || i.imageDigest === digest));
  });
});

describe('ECR managed signing across a restart', () => {
  it('keeps the configuration, the statuses and the keys, and signs what was left IN_PROGRESS', async (t) => {
    if (!(await hasTool('openssl', 'version'))) return t.skip('needs openssl');
    // given: a data dir where a push was signed, and a signature queued (as a crash would leave it)
    const data = tempDir('simfra-signing-data-');
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 43 });
    let server = await startServer({ dataDir: data.path });
    let ecr = ecrClient(server.url);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'prod/app' }));
    await ecr.send(new PutSigningConfigurationCommand({ signingConfiguration: { rules: [{ signingProfileArn: PROFILE }] } }));
    let reg = new Registry(server.port, await loginPassword(server.url));
    const digest = await reg.pushImage('prod/app', 'v1', image);
    await runJob(server.url, 'ecr-signing');
    const rootBefore = ((await (await adminFetch(server.url, '/signing/certificates')).json()) as { rootCertificate: string }).rootCertificate;
    ecr.destroy();
    await server.close();
    const second = `arn:aws:signer:${REGION}:${ACCOUNT}:/signing-profiles/second`;
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(data.path, 'simfra.db'));
    db.prepare(
      `INSERT INTO ecr_signing_statuses (account_id, region, repository_name, image_digest, signing_profile_arn, status, updated_at)
       VALUES (?, ?, 'prod/app', ?, ?, 'IN_PROGRESS', 0)`,
    ).run(ACCOUNT, REGION, digest, second);
    db.close();
    try {
      // when
      server = await startServer({ dataDir: data.path });
      ecr = ecrClient(server.url);
      reg = new Registry(server.port, await loginPassword(server.url));
      await runJob(server.url, 'ecr-signing');
      // then
      assert.deepEqual((await ecr.send(new GetSigningConfigurationCommand({}))).signingConfiguration, { rules: [{ signingProfileArn: PROFILE }] });
      assert.deepEqual(
        (await statusesOf(ecr, 'prod/app', digest)).sort((a, b) => String(a.signingProfileArn).localeCompare(String(b.signingProfileArn))),
        [
          { signingProfileArn: PROFILE, status: 'COMPLETE' },
          { signingProfileArn: second, status: 'COMPLETE' },
        ].sort((a, b) => a.signingProfileArn.localeCompare(b.signingProfileArn)),
      );
      const rootAfter = ((await (await adminFetch(server.url, '/signing/certificates')).json()) as { rootCertificate: string }).rootCertificate;
      assert.equal(rootAfter, rootBefore);
      const sigs = await signaturesOf(reg, 'prod/app', digest);
      assert.equal(sigs.length, 2);
      for (const s of sigs) {
        const { envelope } = await pullSignature(reg, 'prod/app', s.digest);
        const verdict = await opensslVerify(data.path, rootAfter, envelope);
        assert.deepEqual(verdict.signature, { ok: true, out: 'Verified OK' });
      }
    } finally {
      ecr.destroy();
      await server.close();
      data.remove();
    }
  });
});
