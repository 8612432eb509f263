/**
 * Lambda functions with container-image code: what CreateFunction, GetFunction, Update*,
 * PublishVersion, aliases, tags and resource policies do to the stored record, and how an image
 * URI is resolved in simfra's own ECR (through the image domain, under IAM). HTTP-free.
 */
import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import { AwsError } from '../../aws/errors.js';
import type { Clock } from '../../clock.js';
import { ImageAccessDenied } from '../../containers/runtime.js';
import { AccessDeniedError, type AuthzSubject, type PolicyAuthorizer } from '../../iam/authorize.js';
import type { IamDirectory } from '../../iam/directory.js';
import { servicePrincipal } from '../../iam/principal.js';
import type { Ids } from '../../ids.js';
import { ImageError } from '../../images/errors.js';
import type { Images } from '../../images/images.js';
import type { Digest } from '../../oci/digest.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../../model/lambda/errors.js';
import type { AliasConfiguration, FunctionConfiguration, FunctionCodeLocation } from '../../model/lambda/types.js';
import {
  AlreadyExistsError,
  type LambdaAliasRecord,
  type LambdaFunctionKey,
  type LambdaFunctionRecord,
  type LambdaVersionRecord,
  type MetaStore,
} from '../../store/meta/meta-store.js';
import { texts } from './messages.js';
import { functionArn, parseFunctionName, parseImageUri, type FunctionRef } from './names.js';

export const LAMBDA_SERVICE = 'lambda.amazonaws.com';

export interface FunctionsDeps {
  meta: MetaStore;
  images: Images;
  authorizer: PolicyAuthorizer;
  directory: IamDirectory;
  ids: Ids;
  clock: Clock;
  registryDomain: string;
  /**
   * Prepares the code of a configuration (loads its image into the container engine when
   * containers are enabled); the function turns Active / Successful when it resolves, Failed
   * when it rejects.
   */
  prepare(key: LambdaFunctionKey, config: LambdaVersionRecord): Promise<void>;
}

/** Lambda's LastModified: `2024-01-02T03:04:05.678+0000`. */
export const lastModified = (d: Date): string => d.toISOString().replace('Z', '+0000');

/** Where an image for the function lives and which manifest runs. */
interface ResolvedImage {
  image: LambdaVersionRecord['image'];
  resolvedImageUri: string;
}

const PLATFORM: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

export class LambdaFunctions {
  constructor(private readonly deps: FunctionsDeps) {}

  subject(ctx: RequestContext): AuthzSubject {
    return authzSubjectOf(ctx);
  }

  ref(ctx: RequestContext, name: string, qualifier?: string): FunctionRef {
    const ref = parseFunctionName(name, ctx.accountId, ctx.region, qualifier);
    if (!ref) throw new InvalidParameterValueException(`1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`);
    return ref;
  }

  async get(ref: FunctionRef): Promise<LambdaFunctionRecord> {
    const fn = await this.deps.meta.lambdaFunctions.get(ref);
    if (!fn) throw new ResourceNotFoundException(texts.functionNotFound(functionArn(ref, ref.qualifier)));
    return fn;
  }

  /**
   * The configuration an invocation of `qualifier` runs: while an update of $LATEST is in
   * progress, the one before it — source: Lambda developer guide, "Lambda function states"
   * (during an update, invocations run the function's previous code and configuration).
   */
  running(fn: LambdaFunctionRecord, qualifier: string | undefined): LambdaVersionRecord {
    const v = this.version(fn, qualifier);
    return v === fn.latest && fn.previous && fn.latest.lastUpdateStatus === 'InProgress' ? fn.previous : v;
  }

  /** The configuration a qualifier names: `$LATEST` (default), a version number or an alias. */
  version(fn: LambdaFunctionRecord, qualifier: string | undefined): LambdaVersionRecord {
    if (qualifier === undefined || qualifier === '$LATEST') return fn.latest;
    const alias = fn.aliases.find((a) => a.name === qualifier);
    const version = alias ? alias.functionVersion : qualifier;
    if (version === '$LATEST') return fn.latest;
    const v = fn.versions.find((x) => x.version === version);
    if (!v) throw new ResourceNotFoundException(texts.functionNotFound(functionArn(fn, qualifier)));
    return v;
  }

  /** The role exists and trusts lambda.amazonaws.com. */
  async checkRole(roleArn: string, accountId: string): Promise<void> {
    const m = /^arn:aws:iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/.exec(roleArn);
    const role = m ? await this.deps.directory.findRole(m[1]!, m[3]!) : undefined;
    if (!m || !role || role.path !== m[2]) throw new InvalidParameterValueException(texts.roleCannotBeAssumed);
    try {
      await this.deps.authorizer.authorizeAssumeRole(
        { principal: servicePrincipal(LAMBDA_SERVICE, accountId), sourceIp: LAMBDA_SERVICE, secureTransport: true, now: this.deps.clock.now() },
        { arn: roleArn, accountId: m[1]!, trustPolicy: role.assumeRolePolicyDocument },
        {},
      );
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new InvalidParameterValueException(texts.roleCannotBeAssumed);
      throw e;
    }
  }

  /**
   * Resolves `uri` to an image of simfra's ECR in the function's region, as the caller may pull it
   * (and, across accounts, as the repository policy lets Lambda pull it), picking the platform of
   * `architecture` from an index.
   */
  async resolveImage(ctx: RequestContext, fn: LambdaFunctionKey, uri: string, architecture: string): Promise<ResolvedImage> {
    const parsed = parseImageUri(uri, this.deps.registryDomain);
    if (!parsed || parsed.region !== fn.region) throw new InvalidParameterValueException(texts.imageInvalid(uri));
    const repo = { accountId: parsed.accountId, region: parsed.region, name: parsed.repository };
    const resource = `arn:aws:ecr:${repo.region}:${repo.accountId}:repository/${repo.name}`;
    const pull = [
      { action: 'ecr:BatchGetImage', resource },
      { action: 'ecr:GetDownloadUrlForLayer', resource },
    ];
    try {
      await this.deps.authorizer.authorize(this.subject(ctx), pull);
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new AwsError('AccessDeniedException', texts.imageAccessDenied, 403);
      throw e;
    }
    if (repo.accountId !== fn.accountId) {
      // Across accounts the repository policy must let the Lambda service pull — source: Lambda
      // developer guide, "Amazon ECR permissions" (cross-account).
      const decision = await this.deps.authorizer.authorizeService(
        { name: LAMBDA_SERVICE, sourceAccount: fn.accountId, sourceArn: functionArn(fn) },
        pull,
        ctx.clock.now(),
      );
      if (!decision.allowed) throw new AwsError('AccessDeniedException', texts.imageAccessDenied, 403);
    }
    let image;
    let manifest: Buffer;
    try {
      const ref = parsed.digest !== undefined ? ({ kind: 'digest', digest: parsed.digest as Digest } as const) : ({ kind: 'tag', tag: parsed.tag! } as const);
      ({ image, manifest } = await this.deps.images.getManifest(repo, ref));
    } catch (e) {
      if (e instanceof ImageError) throw new InvalidParameterValueException(texts.imageMissing(uri));
      throw e;
    }
    let runDigest = image.digest;
    const doc = JSON.parse(manifest.toString('utf8')) as {
      manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
      config?: unknown;
      layers?: unknown;
    };
    if (Array.isArray(doc.manifests)) {
      const wanted = PLATFORM[architecture] ?? architecture;
      const child = doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === wanted);
      if (!child) throw new InvalidParameterValueException(texts.imageUnsupported(uri));
      runDigest = child.digest;
    } else if (!doc.config || !Array.isArray(doc.layers)) {
      throw new InvalidParameterValueException(texts.imageUnsupported(uri));
    }
    const base = uri.replace(/[@:][^/]*$/, '');
    return {
      image: { accountId: repo.accountId, region: repo.region, repository: repo.name, resolvedDigest: image.digest, runDigest },
      resolvedImageUri: `${base}@${image.digest}`,
    };
  }

  newRevision(): string {
    return this.deps.ids.uuid();
  }

  now(): string {
    return lastModified(this.deps.clock.now());
  }

  async create(record: LambdaFunctionRecord): Promise<LambdaFunctionRecord> {
    try {
      await this.deps.meta.lambdaFunctions.create(record);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new ResourceConflictException(texts.functionExists(record.name));
      throw e;
    }
    this.#prepare(record, 'create');
    return record;
  }

  /** Applies a change to $LATEST (refused while an update runs), then prepares it in the background. */
  async updateLatest(
    ref: FunctionRef,
    revisionId: string | undefined,
    change: (latest: LambdaVersionRecord) => LambdaVersionRecord,
  ): Promise<LambdaFunctionRecord> {
    const fn = await this.update(ref, (r) => {
      if (r.latest.lastUpdateStatus === 'InProgress' || r.latest.state === 'Pending') {
        throw new ResourceConflictException(texts.updateInProgress(functionArn(r)));
      }
      if (revisionId !== undefined && revisionId !== r.latest.revisionId) throw new PreconditionFailedException(texts.revisionMismatch);
      const next: LambdaVersionRecord = { ...change(r.latest), lastModified: this.now(), revisionId: this.newRevision(), lastUpdateStatus: 'InProgress' };
      delete next.lastUpdateStatusReason;
      delete next.lastUpdateStatusReasonCode;
      return { ...r, latest: next, previous: r.latest };
    });
    this.#prepare(fn, 'update');
    return fn;
  }

  async update(ref: FunctionRef, change: (r: LambdaFunctionRecord) => LambdaFunctionRecord): Promise<LambdaFunctionRecord> {
    const fn = await this.deps.meta.lambdaFunctions.update(ref, change);
    if (!fn) throw new ResourceNotFoundException(texts.functionNotFound(functionArn(ref)));
    return fn;
  }

  /** Finishes the creations and updates a stop interrupted (at start). */
  async resume(): Promise<number> {
    const open = await this.deps.meta.lambdaFunctions.unsettled();
    for (const fn of open) this.#prepare(fn, fn.latest.state === 'Pending' ? 'create' : 'update');
    return open.length;
  }

  /** Pending → Active (create) or InProgress → Successful (update) once the code is ready. */
  #prepare(fn: LambdaFunctionRecord, kind: 'create' | 'update'): void {
    const revision = fn.latest.revisionId;
    const settle = (ok: boolean, reason?: string, code?: string) =>
      this.deps.meta.lambdaFunctions
        .update(fn, (r) => {
          if (r.latest.revisionId !== revision) return r;
          const latest: LambdaVersionRecord = { ...r.latest };
          delete latest.stateReason;
          delete latest.stateReasonCode;
          delete latest.lastUpdateStatusReason;
          delete latest.lastUpdateStatusReasonCode;
          if (kind === 'create') {
            latest.state = ok ? 'Active' : 'Failed';
            latest.lastUpdateStatus = ok ? 'Successful' : 'Failed';
          } else {
            latest.lastUpdateStatus = ok ? 'Successful' : 'Failed';
            // New code for a function whose image had gone makes it usable again.
            if (ok && latest.state === 'Failed') latest.state = 'Active';
          }
          if (!ok) {
            if (kind === 'create') {
              latest.stateReason = reason ?? 'Failed';
              latest.stateReasonCode = code ?? 'InternalError';
            }
            latest.lastUpdateStatusReason = reason ?? 'Failed';
            latest.lastUpdateStatusReasonCode = code ?? 'InternalError';
          }
          const { previous: _done, ...rest } = r;
          // A version published from this code before it was ready (CreateFunction with Publish) follows it.
          const versions = r.versions.map((v) =>
            v.revisionId === revision ? { ...latest, version: v.version, description: v.description, lastModified: v.lastModified } : v,
          );
          return { ...rest, latest, versions };
        })
        .catch(() => undefined);
    this.deps.prepare(fn, fn.latest).then(
      () => settle(true),
      (e: unknown) =>
        settle(
          false,
          e instanceof ImageAccessDenied ? texts.imageAccessDenied : `Failed to prepare the image: ${(e as Error).message}`,
          e instanceof ImageAccessDenied ? 'ImageAccessDenied' : 'InternalError',
        ),
    );
  }

  configuration(fn: LambdaFunctionRecord, v: LambdaVersionRecord): FunctionConfiguration {
    const hasImageConfig = v.imageConfig && Object.keys(v.imageConfig).length > 0;
    return {
      FunctionName: fn.name,
      FunctionArn: functionArn(fn, v.version === '$LATEST' ? undefined : v.version),
      Role: v.role,
      CodeSize: v.codeSize,
      Description: v.description,
      Timeout: v.timeout,
      MemorySize: v.memorySize,
      LastModified: v.lastModified,
      CodeSha256: v.codeSha256,
      Version: v.version,
      ...(Object.keys(v.environment).length > 0 ? { Environment: { Variables: v.environment } } : {}),
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: v.revisionId,
      State: v.state as FunctionConfiguration['State'],
      ...(v.stateReason !== undefined ? { StateReason: v.stateReason } : {}),
      ...(v.stateReasonCode !== undefined ? { StateReasonCode: v.stateReasonCode as FunctionConfiguration['StateReasonCode'] } : {}),
      ...(v.lastUpdateStatus !== undefined ? { LastUpdateStatus: v.lastUpdateStatus as FunctionConfiguration['LastUpdateStatus'] } : {}),
      ...(v.lastUpdateStatusReason !== undefined ? { LastUpdateStatusReason: v.lastUpdateStatusReason } : {}),
      ...(v.lastUpdateStatusReasonCode !== undefined
        ? { LastUpdateStatusReasonCode: v.lastUpdateStatusReasonCode as FunctionConfiguration['LastUpdateStatusReasonCode'] }
        : {}),
      PackageType: 'Image',
      ...(hasImageConfig
        ? {
            ImageConfigResponse: {
              ImageConfig: {
                ...(v.imageConfig!.entryPoint ? { EntryPoint: v.imageConfig!.entryPoint } : {}),
                ...(v.imageConfig!.command ? { Command: v.imageConfig!.command } : {}),
                ...(v.imageConfig!.workingDirectory !== undefined ? { WorkingDirectory: v.imageConfig!.workingDirectory } : {}),
              },
            },
          }
        : {}),
      Architectures: v.architectures as FunctionConfiguration['Architectures'],
      EphemeralStorage: { Size: v.ephemeralStorage },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
    };
  }

  code(v: LambdaVersionRecord): FunctionCodeLocation {
    const base = v.imageUri.replace(/[@:][^/]*$/, '');
    return { RepositoryType: 'ECR', ImageUri: v.imageUri, ResolvedImageUri: `${base}@${v.image.resolvedDigest}` };
  }

  alias(fn: LambdaFunctionRecord, a: LambdaAliasRecord): AliasConfiguration {
    return {
      AliasArn: functionArn(fn, a.name),
      Name: a.name,
      FunctionVersion: a.functionVersion,
      Description: a.description,
      RevisionId: a.revisionId,
      ...(a.additionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: a.additionalVersionWeights } } : {}),
    };
  }
}
