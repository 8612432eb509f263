import type { RequestContext } from '../../aws/context.js';
import { AwsError } from '../../aws/errors.js';
import type { AwsService, Handler } from '../../aws/service.js';
import { EngineError } from '../../containers/engine.js';
import { ImageAccessDenied } from '../../containers/runtime.js';
import { AccessDeniedError } from '../../iam/authorize.js';
import { ImageError } from '../../images/errors.js';
import type { AuthzRequest, ResourceResolver } from '../../iam/authorize.js';
import type { StsSessions } from '../../iam/sessions.js';
import { rootPrincipal, servicePrincipal } from '../../iam/principal.js';
import type { Digest } from '../../oci/digest.js';
import { lambdaModel } from '../../model/lambda/index.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  RequestTooLargeException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../../model/lambda/errors.js';
import type {
  AddPermissionRequest,
  CreateAliasRequest,
  CreateFunctionRequest,
  DeleteAliasRequest,
  DeleteFunctionRequest,
  FunctionConfiguration,
  GetAliasRequest,
  GetFunctionConfigurationRequest,
  GetFunctionRequest,
  GetPolicyRequest,
  InvocationRequest,
  InvocationResponse,
  ListAliasesRequest,
  ListFunctionsRequest,
  ListTagsRequest,
  ListVersionsByFunctionRequest,
  PublishVersionRequest,
  RemovePermissionRequest,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateAliasRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from '../../model/lambda/types.js';
import type { LambdaFunctionRecord, LambdaVersionRecord, MetaStore } from '../../store/meta/meta-store.js';
import { LambdaFunctions, LAMBDA_SERVICE } from './functions.js';
import type { Invoker, SandboxConfig } from './invoker.js';
import { texts } from './messages.js';
import { functionArn, parseFunctionName, type FunctionRef } from './names.js';

export interface LambdaDeps {
  functions: LambdaFunctions;
  meta: MetaStore;
  sessions: StsSessions;
  /** The invoker, or why functions cannot run (containers disabled / engine unreachable). */
  invoker: () => Invoker | string;
  /** How code in a container reaches simfra (`http://127.0.0.1:4599`). */
  endpointUrl: () => string;
}

const DEFAULTS = { memorySize: 128, timeout: 3, ephemeralStorage: 512 } as const;

/** Invocation payload quotas: 6 MB synchronous, 1 MB asynchronous — source: Lambda developer guide, "Lambda quotas". */
const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;

/** Lambda's account limits (GetAccountSettings) — source: Lambda developer guide, "Lambda quotas". */
const ACCOUNT_LIMIT = {
  TotalCodeSize: 80530636800,
  CodeSizeUnzipped: 262144000,
  CodeSizeZipped: 52428800,
  ConcurrentExecutions: 1000,
  UnreservedConcurrentExecutions: 1000,
};

function pageOf<T>(items: T[], marker: string | undefined, max: number | undefined): { page: T[]; next?: string } {
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) || 0 : 0;
  const size = Math.min(max ?? 50, 10000);
  const page = items.slice(start, start + size);
  return start + size < items.length ? { page, next: Buffer.from(String(start + size)).toString('base64url') } : { page };
}

/** A policy statement as Lambda writes it for AddPermission. */
function statement(arn: string, i: AddPermissionRequest): Record<string, unknown> {
  const p = i.Principal;
  const principal = p === '*' ? '*' : /^\d{12}$/.test(p) ? { AWS: `arn:aws:iam::${p}:root` } : p.includes('.amazonaws.com') ? { Service: p } : { AWS: p };
  const condition: Record<string, Record<string, string>> = {};
  if (i.SourceAccount !== undefined) condition.StringEquals = { 'AWS:SourceAccount': i.SourceAccount };
  if (i.SourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': i.SourceArn };
  if (i.PrincipalOrgID !== undefined) condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': i.PrincipalOrgID };
  return {
    Sid: i.StatementId,
    Effect: 'Allow',
    Principal: principal,
    Action: i.Action,
    Resource: arn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** The IAM action and resource of each operation — source: service authorization reference for Lambda. */
export function lambdaAuthorization(operation: string, input: unknown, ctx: RequestContext): AuthzRequest[] {
  const i = input as { FunctionName?: string; Qualifier?: string; Resource?: string; Role?: string; Name?: string };
  if (operation === 'ListFunctions' || operation === 'GetAccountSettings') return [{ action: `lambda:${operation}`, resource: '*' }];
  if (operation === 'TagResource' || operation === 'UntagResource' || operation === 'ListTags') {
    return [{ action: `lambda:${operation}`, resource: i.Resource ?? '*' }];
  }
  const ref = i.FunctionName !== undefined ? parseFunctionName(i.FunctionName, ctx.accountId, ctx.region, i.Qualifier) : undefined;
  const qualifier = operation.endsWith('Alias') && i.Name !== undefined ? i.Name : ref?.qualifier;
  const resource = ref ? functionArn(ref, qualifier) : '*';
  const action = operation === 'Invoke' ? 'lambda:InvokeFunction' : `lambda:${operation}`;
  const out: AuthzRequest[] = [{ action, resource }];
  if ((operation === 'CreateFunction' || operation === 'UpdateFunctionConfiguration') && i.Role !== undefined) {
    out.push({ action: 'iam:PassRole', resource: i.Role });
  }
  return out;
}

/** Function resource policies and tags for the IAM engine (`arn:aws:lambda:…:function:name[:q]`). */
export function lambdaResources(meta: MetaStore): ResourceResolver {
  return async (arn) => {
    const ref = parseFunctionName(arn, '', '');
    if (!ref) return undefined;
    const fn = await meta.lambdaFunctions.get(ref);
    if (!fn) return undefined;
    return { policies: fn.policy ? [fn.policy] : [], tags: fn.tags };
  };
}

export function lambdaService(deps: LambdaDeps): AwsService {
  const f = deps.functions;

  const requireActive = (fn: LambdaFunctionRecord) => {
    if (fn.latest.state !== 'Active') throw new ResourceConflictException(texts.notReady(fn.latest.state));
  };

  const findByArn = async (ctx: RequestContext, arn: string): Promise<{ fn: LambdaFunctionRecord; ref: FunctionRef }> => {
    const ref = f.ref(ctx, arn);
    return { fn: await f.get({ ...ref }), ref };
  };

  const sandboxConfig = (fn: LambdaFunctionRecord, v: LambdaVersionRecord, invoker: Invoker, now: () => Date): SandboxConfig => {
    const arn = functionArn(fn);
    const lambdaSubject = () => ({ principal: servicePrincipal(LAMBDA_SERVICE, fn.accountId), sourceIp: LAMBDA_SERVICE, secureTransport: true, now: now() });
    const materialize = async () => {
      // Same account: Lambda pulls as the account (allowed unless the repository policy denies);
      // across accounts: as the Lambda service, which only the repository policy can allow.
      const access =
        v.image.accountId === fn.accountId
          ? ({ kind: 'principal', subject: { principal: rootPrincipal(fn.accountId), sourceIp: LAMBDA_SERVICE, secureTransport: true, now: now() } } as const)
          : ({ kind: 'service', service: LAMBDA_SERVICE, sourceAccount: fn.accountId, sourceArn: arn, now: now() } as const);
      const image = await invoker.runtime.ensureImage(
        { accountId: v.image.accountId, region: v.image.region, name: v.image.repository },
        v.image.runDigest as Digest,
        access,
      );
      const session = await deps.sessions.assumeRole(lambdaSubject(), { roleArn: v.role, roleSessionName: fn.name });
      const env: Record<string, string> = {
        ...v.environment,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(v.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: v.version,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `${now().toISOString().slice(0, 10).replace(/-/g, '/')}/[${v.version}]${session.accessKeyId.slice(-12).toLowerCase()}`,
        AWS_REGION: fn.region,
        AWS_DEFAULT_REGION: fn.region,
        AWS_ACCESS_KEY_ID: session.accessKeyId,
        AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
        AWS_SESSION_TOKEN: session.sessionToken,
        AWS_ENDPOINT_URL: deps.endpointUrl(),
        LAMBDA_TASK_ROOT: '/var/task',
        LAMBDA_RUNTIME_DIR: '/var/runtime',
        TZ: ':UTC',
      };
      return { image, env };
    };
    return {
      key: `${arn}|${v.version}|${v.revisionId}`,
      functionArn: arn,
      functionName: fn.name,
      version: v.version,
      memoryMb: v.memorySize,
      timeoutSeconds: v.timeout,
      ...(v.imageConfig?.entryPoint ? { entrypoint: v.imageConfig.entryPoint } : {}),
      ...(v.imageConfig?.command ? { cmd: v.imageConfig.command } : {}),
      ...(v.imageConfig?.workingDirectory ? { workingDir: v.imageConfig.workingDirectory } : {}),
      materialize,
      labels: { 'simfra.service': 'lambda', 'simfra.function': arn, 'simfra.version': v.version },
    };
  };

  const handlers = {
    CreateFunction: async (ctx: RequestContext, i: CreateFunctionRequest): Promise<FunctionConfiguration> => {
      const ref = f.ref(ctx, i.FunctionName);
      if (i.PackageType !== 'Image') {
        if (i.Code.ImageUri !== undefined && (i.Runtime === undefined || i.Handler === undefined)) throw new InvalidParameterValueException(texts.zipNeedsRuntime);
        throw new InvalidParameterValueException(texts.zipUnsupported);
      }
      if (i.Code.ImageUri === undefined) throw new InvalidParameterValueException(texts.provideCode);
      await f.checkRole(i.Role, ref.accountId);
      const architectures = i.Architectures ?? ['x86_64'];
      const key = { accountId: ref.accountId, region: ref.region, name: ref.name };
      const resolved = await f.resolveImage(ctx, key, i.Code.ImageUri, architectures[0]!);
      const now = f.now();
      const latest: LambdaVersionRecord = {
        version: '$LATEST',
        description: i.Description ?? '',
        role: i.Role,
        memorySize: i.MemorySize ?? DEFAULTS.memorySize,
        timeout: i.Timeout ?? DEFAULTS.timeout,
        environment: i.Environment?.Variables ?? {},
        imageUri: i.Code.ImageUri,
        image: resolved.image,
        ...(i.ImageConfig
          ? {
              imageConfig: {
                ...(i.ImageConfig.EntryPoint ? { entryPoint: i.ImageConfig.EntryPoint } : {}),
                ...(i.ImageConfig.Command ? { command: i.ImageConfig.Command } : {}),
                ...(i.ImageConfig.WorkingDirectory !== undefined ? { workingDirectory: i.ImageConfig.WorkingDirectory } : {}),
              },
            }
          : {}),
        architectures,
        ephemeralStorage: i.EphemeralStorage?.Size ?? DEFAULTS.ephemeralStorage,
        codeSha256: resolved.image.resolvedDigest.slice('sha256:'.length),
        codeSize: 0,
        lastModified: now,
        revisionId: f.newRevision(),
        state: 'Pending',
        stateReason: 'The function is being created.',
        stateReasonCode: 'Creating',
      };
      const fn: LambdaFunctionRecord = { ...key, latest, versions: [], nextVersion: 1, aliases: [], tags: i.Tags ?? {} };
      await f.create(fn);
      if (i.Publish === true) {
        const published = await publish(key, undefined, undefined);
        return f.configuration(published, published.versions.at(-1)!);
      }
      return f.configuration(fn, latest);
    },

    GetFunction: async (ctx: RequestContext, i: GetFunctionRequest) => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      const fn = await f.get(ref);
      const v = f.version(fn, ref.qualifier);
      return { Configuration: f.configuration(fn, v), Code: f.code(v), ...(Object.keys(fn.tags).length > 0 ? { Tags: fn.tags } : {}) };
    },

    GetFunctionConfiguration: async (ctx: RequestContext, i: GetFunctionConfigurationRequest) => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      const fn = await f.get(ref);
      return f.configuration(fn, f.version(fn, ref.qualifier));
    },

    ListFunctions: async (ctx: RequestContext, i: ListFunctionsRequest) => {
      const limit = Math.min(i.MaxItems ?? 50, 50);
      const after = i.Marker ? Buffer.from(i.Marker, 'base64url').toString() : undefined;
      const page = await deps.meta.lambdaFunctions.list(ctx.accountId, ctx.region, { limit, ...(after ? { after } : {}) });
      const Functions = page.items.flatMap((fn) =>
        i.FunctionVersion === 'ALL' ? [f.configuration(fn, fn.latest), ...fn.versions.map((v) => f.configuration(fn, v))] : [f.configuration(fn, fn.latest)],
      );
      return { Functions, ...(page.next ? { NextMarker: Buffer.from(page.next).toString('base64url') } : {}) };
    },

    DeleteFunction: async (ctx: RequestContext, i: DeleteFunctionRequest) => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      const fn = await f.get(ref);
      if (ref.qualifier !== undefined && ref.qualifier !== '$LATEST') {
        if (!fn.versions.some((v) => v.version === ref.qualifier)) throw new ResourceNotFoundException(texts.functionNotFound(functionArn(ref, ref.qualifier)));
        if (fn.aliases.some((a) => a.functionVersion === ref.qualifier)) {
          throw new ResourceConflictException(`Unable to delete version because the following aliases reference it: [${fn.aliases.filter((a) => a.functionVersion === ref.qualifier).map((a) => a.name).join(', ')}]`);
        }
        await f.update(ref, (r) => ({ ...r, versions: r.versions.filter((v) => v.version !== ref.qualifier) }));
      } else {
        await deps.meta.lambdaFunctions.delete(ref);
      }
      const invoker = deps.invoker();
      if (typeof invoker !== 'string') await invoker.dropFunction(functionArn(ref));
      return { StatusCode: 204 };
    },

    UpdateFunctionCode: async (ctx: RequestContext, i: UpdateFunctionCodeRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      if (i.ImageUri === undefined) throw new InvalidParameterValueException(texts.provideImageUri);
      const current = await f.get(ref);
      const architectures = i.Architectures ?? current.latest.architectures;
      const resolved = await f.resolveImage(ctx, current, i.ImageUri, architectures[0]!);
      if (i.DryRun === true) return f.configuration(current, current.latest);
      let fn = await f.updateLatest(ref, i.RevisionId, (v) => ({
        ...v,
        imageUri: i.ImageUri!,
        image: resolved.image,
        architectures,
        codeSha256: resolved.image.resolvedDigest.slice('sha256:'.length),
      }));
      if (i.Publish === true) fn = await publish(ref, undefined, '');
      return f.configuration(fn, i.Publish === true ? fn.versions.at(-1)! : fn.latest);
    },

    UpdateFunctionConfiguration: async (ctx: RequestContext, i: UpdateFunctionConfigurationRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      if (i.Role !== undefined) await f.checkRole(i.Role, ref.accountId);
      const fn = await f.updateLatest(ref, i.RevisionId, (v) => ({
        ...v,
        ...(i.Role !== undefined ? { role: i.Role } : {}),
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        ...(i.Timeout !== undefined ? { timeout: i.Timeout } : {}),
        ...(i.MemorySize !== undefined ? { memorySize: i.MemorySize } : {}),
        ...(i.Environment !== undefined ? { environment: i.Environment.Variables ?? {} } : {}),
        ...(i.EphemeralStorage !== undefined ? { ephemeralStorage: i.EphemeralStorage.Size } : {}),
        ...(i.ImageConfig !== undefined
          ? {
              imageConfig: {
                ...(i.ImageConfig.EntryPoint ? { entryPoint: i.ImageConfig.EntryPoint } : {}),
                ...(i.ImageConfig.Command ? { command: i.ImageConfig.Command } : {}),
                ...(i.ImageConfig.WorkingDirectory !== undefined ? { workingDirectory: i.ImageConfig.WorkingDirectory } : {}),
              },
            }
          : {}),
      }));
      return f.configuration(fn, fn.latest);
    },

    PublishVersion: async (ctx: RequestContext, i: PublishVersionRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      const fn = await publish(ref, i.RevisionId, i.Description, i.CodeSha256);
      return f.configuration(fn, fn.versions.at(-1)!);
    },

    ListVersionsByFunction: async (ctx: RequestContext, i: ListVersionsByFunctionRequest) => {
      const fn = await f.get(f.ref(ctx, i.FunctionName));
      const all = [fn.latest, ...fn.versions].map((v) => f.configuration(fn, v));
      const { page, next } = pageOf(all, i.Marker, i.MaxItems);
      return { Versions: page, ...(next ? { NextMarker: next } : {}) };
    },

    CreateAlias: async (ctx: RequestContext, i: CreateAliasRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      const alias = { name: i.Name, functionVersion: i.FunctionVersion, description: i.Description ?? '', revisionId: f.newRevision(), ...weights(i.RoutingConfig) };
      const fn = await f.update(ref, (r) => {
        if (r.aliases.some((a) => a.name === i.Name)) throw new ResourceConflictException(texts.aliasExists(functionArn(r, i.Name)));
        f.version(r, i.FunctionVersion);
        return { ...r, aliases: [...r.aliases, alias] };
      });
      return f.alias(fn, alias);
    },

    GetAlias: async (ctx: RequestContext, i: GetAliasRequest) => {
      const fn = await f.get(f.ref(ctx, i.FunctionName));
      const a = fn.aliases.find((x) => x.name === i.Name);
      if (!a) throw new ResourceNotFoundException(texts.aliasNotFound(functionArn(fn, i.Name)));
      return f.alias(fn, a);
    },

    ListAliases: async (ctx: RequestContext, i: ListAliasesRequest) => {
      const fn = await f.get(f.ref(ctx, i.FunctionName));
      const all = fn.aliases.filter((a) => i.FunctionVersion === undefined || a.functionVersion === i.FunctionVersion).map((a) => f.alias(fn, a));
      const { page, next } = pageOf(all, i.Marker, i.MaxItems);
      return { Aliases: page, ...(next ? { NextMarker: next } : {}) };
    },

    UpdateAlias: async (ctx: RequestContext, i: UpdateAliasRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      let updated;
      const fn = await f.update(ref, (r) => {
        const a = r.aliases.find((x) => x.name === i.Name);
        if (!a) throw new ResourceNotFoundException(texts.aliasNotFound(functionArn(r, i.Name)));
        if (i.RevisionId !== undefined && i.RevisionId !== a.revisionId) throw new PreconditionFailedException(texts.revisionMismatch);
        if (i.FunctionVersion !== undefined) f.version(r, i.FunctionVersion);
        updated = {
          ...a,
          ...(i.FunctionVersion !== undefined ? { functionVersion: i.FunctionVersion } : {}),
          ...(i.Description !== undefined ? { description: i.Description } : {}),
          ...(i.RoutingConfig !== undefined ? weights(i.RoutingConfig) : {}),
          revisionId: f.newRevision(),
        };
        return { ...r, aliases: r.aliases.map((x) => (x === a ? updated! : x)) };
      });
      return f.alias(fn, updated!);
    },

    DeleteAlias: async (ctx: RequestContext, i: DeleteAliasRequest) => {
      const ref = f.ref(ctx, i.FunctionName);
      await f.update(ref, (r) => ({ ...r, aliases: r.aliases.filter((a) => a.name !== i.Name) }));
      return {};
    },

    TagResource: async (ctx: RequestContext, i: TagResourceRequest) => {
      const { ref } = await findByArn(ctx, i.Resource);
      await f.update(ref, (r) => ({ ...r, tags: { ...r.tags, ...i.Tags } }));
      return {};
    },

    UntagResource: async (ctx: RequestContext, i: UntagResourceRequest) => {
      const { ref } = await findByArn(ctx, i.Resource);
      await f.update(ref, (r) => ({ ...r, tags: Object.fromEntries(Object.entries(r.tags).filter(([k]) => !i.TagKeys.includes(k))) }));
      return {};
    },

    ListTags: async (ctx: RequestContext, i: ListTagsRequest) => {
      const { fn } = await findByArn(ctx, i.Resource);
      return { Tags: fn.tags };
    },

    GetAccountSettings: async (ctx: RequestContext) => {
      let count = 0;
      let after: string | undefined;
      do {
        const page = await deps.meta.lambdaFunctions.list(ctx.accountId, ctx.region, { limit: 1000, ...(after ? { after } : {}) });
        count += page.items.length;
        after = page.next;
      } while (after);
      return { AccountLimit: ACCOUNT_LIMIT, AccountUsage: { TotalCodeSize: 0, FunctionCount: count } };
    },

    AddPermission: async (ctx: RequestContext, i: AddPermissionRequest) => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      const stmt = statement(functionArn(ref, ref.qualifier), i);
      await f.update(ref, (r) => {
        const doc: { Statement: unknown[] } = r.policy ? (JSON.parse(r.policy) as { Statement: unknown[] }) : { Version: '2012-10-17', Id: 'default', Statement: [] } as { Statement: unknown[] };
        if (doc.Statement.some((s) => (s as { Sid?: string }).Sid === i.StatementId)) throw new ResourceConflictException(texts.sidExists);
        doc.Statement.push(stmt);
        return { ...r, policy: JSON.stringify(doc) };
      });
      return { Statement: JSON.stringify(stmt) };
    },

    RemovePermission: async (ctx: RequestContext, i: RemovePermissionRequest) => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      await f.update(ref, (r) => {
        const doc = r.policy ? (JSON.parse(r.policy) as { Statement: { Sid?: string }[] }) : undefined;
        if (!doc || !doc.Statement.some((s) => s.Sid === i.StatementId)) throw new ResourceNotFoundException(texts.sidNotFound(i.StatementId));
        doc.Statement = doc.Statement.filter((s) => s.Sid !== i.StatementId);
        const { policy: _old, ...rest } = r;
        return doc.Statement.length === 0 ? rest : { ...rest, policy: JSON.stringify(doc) };
      });
      return {};
    },

    GetPolicy: async (ctx: RequestContext, i: GetPolicyRequest) => {
      const fn = await f.get(f.ref(ctx, i.FunctionName, i.Qualifier));
      if (!fn.policy) throw new ResourceNotFoundException(texts.noPolicy);
      return { Policy: fn.policy, RevisionId: fn.latest.revisionId };
    },

    Invoke: async (ctx: RequestContext, i: InvocationRequest): Promise<InvocationResponse> => {
      const ref = f.ref(ctx, i.FunctionName, i.Qualifier);
      const fn = await f.get(ref);
      const v = f.running(fn, ref.qualifier);
      requireActive(fn);
      const limit = i.InvocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
      if ((i.Payload?.length ?? 0) > limit) throw new RequestTooLargeException(texts.requestTooLarge(limit));
      if (i.InvocationType === 'DryRun') return { StatusCode: 204 };
      const invoker = deps.invoker();
      if (typeof invoker === 'string') throw new ResourceConflictException(invoker);
      const config = sandboxConfig(fn, v, invoker, () => ctx.clock.now());
      const payload = Buffer.from(i.Payload ?? Buffer.from('{}'));
      if (i.InvocationType === 'Event') {
        void invoker.invoke(config, ctx.requestId, payload).catch(() => undefined);
        return { StatusCode: 202 };
      }
      const clientContext = i.ClientContext !== undefined ? Buffer.from(i.ClientContext, 'base64').toString('utf8') : undefined;
      const r = await invoker.invoke(config, ctx.requestId, payload, clientContext).catch((e: unknown) => runFailure(fn, e));
      if (r.payload.length > SYNC_PAYLOAD_LIMIT) {
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          ...(i.LogType === 'Tail' ? { LogResult: tail(r.log) } : {}),
          Payload: Buffer.from(JSON.stringify({ errorMessage: texts.responseTooLarge(r.payload.length), errorType: 'Function.ResponseSizeTooLarge' })),
          ExecutedVersion: v.version,
        };
      }
      return {
        StatusCode: 200,
        ...(r.kind === 'error' ? { FunctionError: 'Unhandled' } : {}),
        ...(i.LogType === 'Tail' ? { LogResult: tail(r.log) } : {}),
        Payload: r.payload,
        ExecutedVersion: v.version,
      };
    },
  };

  /**
   * A sandbox that could not start: an image gone from its repository or no longer pullable
   * turns the function Failed (ImageDeleted / ImageAccessDenied, as Lambda reports it); an engine
   * error is simfra's own fault.
   */
  async function runFailure(fn: LambdaFunctionRecord, e: unknown): Promise<never> {
    const image = e instanceof ImageError ? 'deleted' : e instanceof ImageAccessDenied || e instanceof AccessDeniedError ? 'denied' : undefined;
    if (image) {
      await f
        .update(fn, (r) => ({
          ...r,
          latest: {
            ...r.latest,
            state: 'Failed',
            stateReason: image === 'deleted' ? texts.imageDeleted : texts.imageAccessDenied,
            stateReasonCode: image === 'deleted' ? 'ImageDeleted' : 'ImageAccessDenied',
          },
        }))
        .catch(() => undefined);
      throw new ResourceConflictException(texts.notReady('Failed'));
    }
    if (e instanceof EngineError) throw new AwsError('ServiceException', texts.engineFailed(e.message), 500, 'server');
    throw e;
  }

  async function publish(ref: FunctionRef, revisionId: string | undefined, description: string | undefined, codeSha?: string): Promise<LambdaFunctionRecord> {
    return f.update(ref, (r) => {
      if (r.latest.lastUpdateStatus === 'InProgress') throw new ResourceConflictException(texts.updateInProgress(functionArn(r)));
      if (revisionId !== undefined && revisionId !== r.latest.revisionId) throw new PreconditionFailedException(texts.revisionMismatch);
      if (codeSha !== undefined && codeSha !== r.latest.codeSha256) {
        throw new InvalidParameterValueException(`CodeSHA256 (${codeSha}) is different from current CodeSHA256 in $LATEST (${r.latest.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
      }
      const last = r.versions.at(-1);
      // Publishing unchanged code and configuration returns the latest version — source: Lambda API reference, PublishVersion.
      if (last && last.revisionId === r.latest.revisionId) return r;
      const v: LambdaVersionRecord = {
        ...r.latest,
        version: String(r.nextVersion),
        ...(description ? { description } : {}),
        revisionId: r.latest.revisionId,
        lastModified: f.now(),
      };
      return { ...r, versions: [...r.versions, v], nextVersion: r.nextVersion + 1 };
    });
  }

  return {
    signingName: 'lambda',
    protocol: 'rest-json',
    model: lambdaModel,
    handlers: handlers as unknown as Record<string, Handler<never, unknown>>,
    authorization: lambdaAuthorization,
  };
}

function weights(rc: { AdditionalVersionWeights?: Record<string, number> } | undefined): { additionalVersionWeights?: Record<string, number> } {
  return rc?.AdditionalVersionWeights ? { additionalVersionWeights: rc.AdditionalVersionWeights } : {};
}

/** The last 4 KB of the log, base64 (X-Amz-Log-Result). */
function tail(log: string): string {
  const b = Buffer.from(log, 'utf8');
  return b.subarray(Math.max(0, b.length - 4096)).toString('base64');
}
