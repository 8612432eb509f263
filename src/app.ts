import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { adminFront } from './admin/routes.js';
import { AwsFront } from './aws/front.js';
import { SigV4Verifier } from './aws/sigv4.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createGateway } from './gateway/server.js';
import { ByteBudget } from './http/body.js';
import { Accounts } from './iam/accounts.js';
import { AuthTokens } from './iam/auth-tokens.js';
import { PolicyAuthorizer } from './iam/authorize.js';
import { StoredCredentials } from './iam/credentials.js';
import { IamDirectory } from './iam/directory.js';
import { principalIdentity } from './iam/principal-identity.js';
import { StsSessions } from './iam/sessions.js';
import { randomIds, type Ids } from './ids.js';
import { BlobGc, SweepGate } from './images/blob-gc.js';
import { KmsRepositoryEncryption } from './images/encryption.js';
import { Images } from './images/images.js';
import { blobGcJob } from './jobs/blob-gc.js';
import { ecrLifecycleJob } from './jobs/ecr-lifecycle.js';
import { Jobs } from './jobs/jobs.js';
import { Lifecycle } from './images/lifecycle/lifecycle.js';
import { keyPolicyChecks, kmsResources } from './kms/authorization.js';
import { Kms } from './kms/keys.js';
import { secretsResources } from './secrets/authorization.js';
import { SecretDecryptError, SecretNotFoundError, Secrets, SecretsError } from './secrets/secrets.js';
import { Repositories } from './images/repositories.js';
import { LayerUrls } from './images/layer-urls.js';
import { registryFront } from './registry/front.js';
import { layerDownloadFront } from './registry/layer-downloads.js';
import { ecrService } from './services/ecr/index.js';
import { createOnPush } from './services/ecr/creation-templates.js';
import { Replicator } from './services/ecr/replication.js';
import { ManagedSigner } from './services/ecr/signing.js';
import { SigningKeys } from './services/ecr/signing-keys.js';
import { PullThroughCache, SecretReadError } from './services/ecr/pull-through.js';
import { RegistryClient } from './upstream/registry-client.js';
import { upstreamUrl } from './upstream/upstream-urls.js';
import { ecrResources } from './services/ecr/policies.js';
import { iamService } from './services/iam/index.js';
import { kmsService } from './services/kms/index.js';
import { secretsManagerService } from './services/secretsmanager/index.js';
import { stsService } from './services/sts/index.js';
import { ContainerRuntime, RuntimeUnavailable } from './containers/runtime.js';
import { rootPrincipal } from './iam/principal.js';
import type { Digest } from './oci/digest.js';
import { LambdaFunctions, LAMBDA_SERVICE } from './services/lambda/functions.js';
import { lambdaResources, lambdaService } from './services/lambda/index.js';
import { Invoker } from './services/lambda/invoker.js';
import { texts as lambdaTexts } from './services/lambda/messages.js';
import { accountSetting } from './services/ecr/registry-settings.js';
import { EcsState } from './services/ecs/control.js';
import { EcsTaskEndpoints } from './services/ecs/endpoints.js';
import { ecsService } from './services/ecs/index.js';
import { texts as ecsTexts } from './services/ecs/messages.js';
import { EcsScheduler } from './services/ecs/scheduler.js';
import { EcsTasks } from './services/ecs/tasks.js';
import type { BlobStore } from './store/blobs/blob-store.js';
import { YoungGarbage } from './store/blobs/young-garbage.js';
import { FsBlobStore } from './store/blobs/fs.js';
import { MemoryBlobStore } from './store/blobs/memory.js';
import type { EcrDeps } from './services/ecr/deps.js';
import { openSqliteMetaStore } from './store/meta/sqlite.js';
import { Sealer } from './store/sealing.js';

const UPLOAD_MAX_AGE_MS = 7 * 24 * 3600_000;
const UPLOAD_PURGE_EVERY_MS = 3600_000;
/** The `ecr-replication` job: kicked by each push; the schedule only retries what a restart left pending. */
const REPLICATION_JOB = 'ecr-replication';
const REPLICATION_EVERY_MS = 5_000;
/** The `ecr-signing` job: kicked by each push a signing rule matches; the schedule only retries what a restart left pending. */
const SIGNING_JOB = 'ecr-signing';
const SIGNING_EVERY_MS = 5_000;
const KMS_SCHEDULE_EVERY_MS = 60_000;
const SECRETS_SCHEDULE_EVERY_MS = 60_000;
const ECS_SCHEDULER_EVERY_MS = 5_000;

export interface AppOptions {
  clock?: Clock;
  ids?: Ids;
  log?: Logger;
}

export interface App {
  /** Binds the configured host and port; resolves with the port actually bound. */
  listen(): Promise<number>;
  /** `http://host:port` once listening. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The composition root: builds the stores, the domain, the services and the gateway. */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const log = opts.log ?? pino({ level: config.logLevel });

  // The data dir holds keys and images: the owner's only (0700 when simfra creates it).
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const sealer = Sealer.fromConfig({ dataDir: config.dataDir, persistenceKey: config.persistenceKey });
  const meta = openSqliteMetaStore(config.dataDir ? join(config.dataDir, 'simfra.db') : ':memory:', sealer);

  const accounts = new Accounts(meta, ids, clock, config.defaultAccountId);
  await accounts.ensureDefault(config.rootAccessKeyId, config.rootSecretAccessKey);

  const tokenKey = await meta.secrets.getOrCreate('registry-token-key', () => ids.bytes(32).toString('base64'));
  const tokens = new AuthTokens(Buffer.from(tokenKey, 'base64'));
  // IAM: the directory of users, roles and policies; the authorizer evaluates them (and the
  // resource policies services register) on every AWS and registry request.
  const directory = new IamDirectory(meta, ids, clock);
  const authorizer = new PolicyAuthorizer(directory);
  const sessions = new StsSessions(meta, directory, authorizer, ids, clock);

  let port = config.port;
  const registryHost = (accountId: string, region: string) => `${accountId}.dkr.ecr.${region}.${config.registryDomain}:${port}`;
  const endpoints = {
    registryHost,
    // Layer download URLs: plain localhost by default (every HTTP client resolves it, unlike
    // *.localhost), else the registry host of the configured domain.
    downloadBase: (accountId: string, region: string) =>
      config.registryDomain === 'localhost' ? `http://localhost:${port}` : `http://${registryHost(accountId, region)}`,
  };
  const layerUrlKey = await meta.secrets.getOrCreate('layer-url-key', () => ids.bytes(32).toString('base64'));
  const layerUrls = new LayerUrls(Buffer.from(layerUrlKey, 'base64'));
  // Blob bytes: in memory, or files under $SIMFRA_DATA_DIR/ecr/ that survive a restart.
  const blobOptions = { ids: () => ids.uuid(), now: () => clock.now() };
  // Upload chunks are freed as they die, not ~64 MiB later (young-garbage.ts): one young-generation
  // collection per 3 MiB written keeps the process's memory flat under parallel pushes (every
  // 32 MiB was too rare to matter): eight or sixteen monolithic 256 MiB curl pushes at once peak
  // at 70–74 MiB RSS. 40 curl pushes of 2, 3 or 4 MiB cost 44–73 ticks of server CPU with a
  // collection every 2, 3 or 4 MiB; with a collection also at each upload's end (now skipped),
  // a blob size that was a multiple of the gap cost 97–143. Every 1 MiB paid for the
  // collections themselves.
  const garbage = YoungGarbage.fromRuntime(3 * 1024 * 1024);
  const blobs: BlobStore = config.dataDir
    ? new FsBlobStore(join(config.dataDir, 'ecr'), { ...blobOptions, received: (n, from, last) => garbage.received(n, from, last) })
    : new MemoryBlobStore(blobOptions);
  const repositories = new Repositories(meta, clock, { countImages: (repo) => meta.images.count(repo.id) });
  // KMS: keys and aliases with their key policies (the primary control of every key request),
  // real AES-256-GCM under per-key material sealed with the master key.
  const kms = new Kms({ meta, authorizer, policies: keyPolicyChecks(directory, authorizer), ids, clock });
  authorizer.registerResources('arn:aws:kms:', kmsResources(meta));
  // KMS-encrypted repositories keep their blobs sealed per key under $SIMFRA_DATA_DIR/ecr/kms/.
  const encryption = new KmsRepositoryEncryption({
    kms,
    plain: blobs,
    ...(config.dataDir ? { sealedRoot: join(config.dataDir, 'ecr', 'kms'), storeOptions: blobOptions } : {}),
  });
  // Blob garbage collection and pushes share the gate: a commit waits while a sweep deletes its digest.
  const sweeps = new SweepGate();
  const images = new Images({ meta, blobs, repositories, clock, sweeps, encryption });
  // Before anything is served: a single-request upload (POST ?digest=) that a crash cut off has
  // a session no client knows of, so nobody could ever resume it.
  const cutOff = await images.purgeUnannouncedUploads().catch((err: unknown) => {
    log.warn({ err }, 'removing upload sessions cut off by a crash failed');
    return 0;
  });
  if (cutOff > 0) log.info({ sessions: cutOff }, 'removed single-request upload sessions cut off by a crash');
  // Abandoned upload sessions go after a week (the CNCF registry's default age), checked hourly.
  const purgeStaleUploads = () =>
    images.purgeStaleUploads(new Date(clock.now().getTime() - UPLOAD_MAX_AGE_MS)).catch((err: unknown) => {
      log.warn({ err }, 'purging stale upload sessions failed');
      return 0;
    });
  const jobs = new Jobs(log);
  jobs.register({ name: 'upload-purge', intervalMs: UPLOAD_PURGE_EVERY_MS, run: async () => ({ purged: await purgeStaleUploads() }) });
  jobs.register(
    blobGcJob(new BlobGc({ meta, stores: () => encryption.allStores(), clock, gate: sweeps }), {
      intervalMs: config.blobGcIntervalSeconds * 1000,
      graceMs: config.blobGcGraceSeconds * 1000,
    }),
  );
  // Lifecycle policies: evaluated on a schedule and on demand (POST /_simfra/jobs/ecr-lifecycle).
  const lifecycle = new Lifecycle({ meta, images, repositories, clock });
  jobs.register(ecrLifecycleJob(lifecycle, config.ecrLifecycleIntervalSeconds * 1000, log));
  // Keys whose scheduled deletion date passed are deleted (and rotation falls due) on this clock.
  jobs.register({ name: 'kms-key-deletion', intervalMs: KMS_SCHEDULE_EVERY_MS, run: () => kms.runSchedule() });
  // Secrets Manager: secrets sealed under KMS (alias/aws/secretsmanager unless a key is named);
  // a secret scheduled for deletion goes when its recovery window ends, on this clock.
  const secrets = new Secrets({ meta, kms, ids, clock });
  authorizer.registerResources('arn:aws:secretsmanager:', secretsResources(meta));
  jobs.register({ name: 'secretsmanager-deletion', intervalMs: SECRETS_SCHEDULE_EVERY_MS, run: () => secrets.runSchedule() });
  const ecrDeps: EcrDeps = {
    meta,
    repositories,
    images,
    lifecycle,
    tokens,
    endpoints,
    ids,
    layerUrls,
    authTokenTtlSeconds: config.authTokenTtlSeconds,
    iam: { directory, authorizer },
    kms,
    secrets,
  };
  // Pull-through cache: rules' upstreams over HTTP (or SIMFRA_ECR_UPSTREAM_<NAME>), ECR-to-ECR in process.
  ecrDeps.pullThrough = new PullThroughCache({
    ...ecrDeps,
    clock,
    authorizer,
    sessions,
    // credentialArn secrets, read on the rule owner's behalf; their failures in ECR's terms.
    readSecret: (accountId, region, secretId) =>
      secrets.readCurrentForService(accountId, region, secretId).catch((e: unknown) => {
        if (e instanceof SecretNotFoundError) throw new SecretReadError('not-found', e.message);
        if (e instanceof SecretDecryptError) throw new SecretReadError('decrypt', e.message);
        if (e instanceof SecretsError) throw new SecretReadError('access', e.message);
        throw e;
      }),
    remote: (upstreamRegistry, url, credentials) => new RegistryClient(upstreamUrl(config.ecrUpstreams, upstreamRegistry, url), credentials),
    warn: (details, message) => log.warn(details, message),
  });
  authorizer.registerResources('arn:aws:ecr:', ecrResources(ecrDeps));
  // ECR replication: a push that a replication rule matches records pending copies (awaited, so
  // DescribeImageReplicationStatus shows IN_PROGRESS at once) and kicks the job that copies them.
  const replicator = new Replicator({
    ...ecrDeps,
    clock,
    kick: () => void jobs.run(REPLICATION_JOB).catch((err: unknown) => log.warn({ err, job: REPLICATION_JOB }, 'replication run failed')),
    warn: (details, message) => log.warn(details, message),
  });
  jobs.register({ name: REPLICATION_JOB, intervalMs: REPLICATION_EVERY_MS, run: () => replicator.drain() });
  images.onImagePushed((key, image) =>
    replicator.imagePushed(key, image).catch((err: unknown) => log.warn({ err, repositoryName: key.name }, 'could not queue image replication')),
  );

  // ECR managed signing: a push that a signing rule matches records pending signatures (awaited,
  // so DescribeImageSigningStatus shows IN_PROGRESS at once) and kicks the job that signs them.
  const signingKeys = new SigningKeys({ meta, clock, ids });
  const signer = new ManagedSigner({
    meta,
    images,
    keys: signingKeys,
    clock,
    kick: () => void jobs.run(SIGNING_JOB).catch((err: unknown) => log.warn({ err, job: SIGNING_JOB }, 'signing run failed')),
    warn: (details, message) => log.warn(details, message),
  });
  jobs.register({ name: SIGNING_JOB, intervalMs: SIGNING_EVERY_MS, run: () => signer.drain() });
  images.onImagePushed((key, image) =>
    signer.imagePushed(key, image).catch((err: unknown) => log.warn({ err, repositoryName: key.name }, 'could not queue image signing')),
  );

  // Containers for Lambda and ECS: only with SIMFRA_DOCKER=true and a reachable engine.
  let runtime: ContainerRuntime | undefined;
  let notRunning: string = lambdaTexts.dockerDisabled;
  let ecsNotRunning: string = ecsTexts.dockerDisabled;
  if (config.docker) {
    try {
      runtime = await ContainerRuntime.connect({ dockerHost: config.dockerHost, network: config.dockerNetwork, images, authorizer, log });
    } catch (e) {
      if (!(e instanceof RuntimeUnavailable)) throw e;
      log.warn(`containers: SIMFRA_DOCKER=true but ${e.message}; Lambda Invoke will answer an error until simfra restarts with an engine`);
      notRunning = lambdaTexts.dockerUnavailable(e.message);
      ecsNotRunning = ecsTexts.dockerUnavailable(e.message);
    }
  }
  const invoker = runtime
    ? new Invoker({ runtime, clock, log, maxPerFunction: config.lambdaMaxContainers, idleMs: 10 * 60_000 })
    : undefined;
  const lambdaFunctions = new LambdaFunctions({
    meta,
    images,
    authorizer,
    directory,
    ids,
    clock,
    registryDomain: config.registryDomain,
    // Pending → Active once the image is in the engine (at once without containers).
    prepare: async (fn, v) => {
      if (!runtime) return;
      const sameAccount = v.image.accountId === fn.accountId;
      await runtime.ensureImage(
        { accountId: v.image.accountId, region: v.image.region, name: v.image.repository },
        v.image.runDigest as Digest,
        sameAccount
          ? { kind: 'principal', subject: { principal: rootPrincipal(fn.accountId), sourceIp: LAMBDA_SERVICE, secureTransport: true, now: clock.now() } }
          : { kind: 'service', service: LAMBDA_SERVICE, sourceAccount: fn.accountId, sourceArn: `arn:aws:lambda:${fn.region}:${fn.accountId}:function:${fn.name}`, now: clock.now() },
      );
    },
  });
  authorizer.registerResources('arn:aws:lambda:', lambdaResources(meta));
  const lambda = lambdaService({
    functions: lambdaFunctions,
    meta,
    sessions,
    invoker: () => invoker ?? notRunning,
    endpointUrl: () => `http://${runtime?.endpointHost() ?? '127.0.0.1'}:${port}`,
  });

  // ECS: task definitions, tasks pulled with the execution role's authority and run in the
  // container runtime, services kept at their desired count by the `ecs-scheduler` job.
  const ecsState = new EcsState(meta, clock, ids, authorizer);
  const ecsEndpoints = runtime ? new EcsTaskEndpoints(ecsState) : undefined;
  let kickScheduler: () => void = () => undefined;
  let kicked: NodeJS.Timeout | undefined;
  const ecsTasks = new EcsTasks({
    meta,
    images,
    authorizer,
    sessions,
    clock,
    ids,
    log,
    registryDomain: config.registryDomain,
    runtime: () => runtime ?? ecsNotRunning,
    endpoints: () => ecsEndpoints,
    endpointUrl: () => `http://${runtime?.endpointHost() ?? '127.0.0.1'}:${port}`,
    // A service task that ran and stopped is replaced at once; one that failed to start waits
    // for the next scheduled pass (as ECS throttles failing launches), so failures do not spin.
    onStopped: (t) => {
      if (t.serviceName !== undefined && t.startedAt !== undefined) kickScheduler();
    },
  });
  const ecsScheduler = new EcsScheduler(ecsState, ecsTasks, log, () => kickScheduler());
  jobs.register({ name: 'ecs-scheduler', intervalMs: ECS_SCHEDULER_EVERY_MS, run: () => ecsScheduler.run() });
  const ecs = ecsService({ state: ecsState, tasks: ecsTasks, scheduler: ecsScheduler, registryDomain: config.registryDomain });

  const verifier = new SigV4Verifier(new StoredCredentials(meta), config.maxClockSkewSeconds);
  // One bound on request bytes held in memory at once, for every front that buffers a body.
  const bodyBudget = new ByteBudget(config.maxBufferedBodyBytes);
  const aws = new AwsFront({
    services: [ecrService(ecrDeps), iamService({ directory }), stsService({ sessions, meta }), kmsService({ kms }), secretsManagerService({ secrets, authorizer }), lambda, ecs],
    verifier,
    authorizer,
    clock,
    log,
    bodyBudget,
  });
  const server = createGateway({
    aws,
    registry: registryFront({
      images,
      repositories,
      tokens,
      principalIdentity: (p) => principalIdentity(meta, p),
      authorizer,
      clock,
      accountSetting: (accountId, region, name) => accountSetting(ecrDeps, accountId, region, name),
      // Repository creation templates: CREATE_ON_PUSH.
      createOnPush: createOnPush(ecrDeps),
      pullThrough: (repo, reference, authorize, puller) => ecrDeps.pullThrough!.beforeManifestGet(repo, reference, authorize, puller),
      pullThroughBlob: (repo, digest, client) => ecrDeps.pullThrough!.serveBlob(repo, digest, client),
      pullThroughBlobSize: (repo, digest) => ecrDeps.pullThrough!.pendingBlobSize(repo, digest),
      defaultAccountId: config.defaultAccountId,
      defaultRegion: config.defaultRegion,
      log,
      bodyBudget,
    }),
    layerDownloads: layerDownloadFront({ images, urls: layerUrls, clock, log }),
    admin: adminFront({ accounts, jobs, verifier, clock, defaultAccountId: config.defaultAccountId, signingKeys }),
    registryDomain: config.registryDomain,
    bindHost: config.host,
    allowedHosts: config.allowedHosts,
    log,
    limits: config,
  });

  let listening = false;
  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      port = (server.address() as AddressInfo).port;
      void purgeStaleUploads();
      await lambdaFunctions.resume();
      await ecsEndpoints?.listen();
      await ecsTasks.resume();
      jobs.start();
      // A change to a service (or a stopped service task) asks for a scheduler pass soon.
      kickScheduler = () => {
        kicked ??= setTimeout(() => {
          kicked = undefined;
          void jobs.run('ecs-scheduler', {}).catch((err: unknown) => log.warn({ err }, 'ecs-scheduler failed'));
        }, 50);
      };
      kickScheduler();
      return port;
    },
    get url() {
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    get port() {
      return port;
    },
    async close() {
      kickScheduler = () => undefined;
      if (kicked) clearTimeout(kicked);
      await jobs.stop();
      await ecsTasks.close();
      await ecsEndpoints?.close();
      await invoker?.close();
      await runtime?.close();
      if (listening) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        listening = false;
      }
      await encryption.close();
      await meta.close();
    },
  };
}
