import type { IdentityDocuments } from './directory.js';
import { authorizeRequest, ConditionContext, evaluateStatements, type AuthorizeResult, type ContextValue, type PrincipalFacts } from './evaluate.js';
import { accessDeniedMessage } from './messages.js';
import { parsePolicy, withPolicyArn, type Policy, type PolicyKind } from './policy.js';
import { servicePrincipal, type Principal } from './principal.js';

/** What one request asks of IAM: an action on a resource ARN. */
export interface AuthzRequest {
  action: string;
  resource: string;
  /** Extra request-context keys (e.g. aws:RequestTag/…, aws:TagKeys). */
  context?: Record<string, string | string[]>;
}

/** The facts about the caller that evaluation reads. */
export interface AuthzSubject {
  principal: Principal;
  sourceIp: string;
  secureTransport: boolean;
  now: Date;
  /** The region the request was made in (aws:RequestedRegion), when known. */
  region?: string;
}

/** A denial; each front words it as its protocol does (AccessDeniedException, AccessDenied, registry DENIED). */
export class AccessDeniedError extends Error {
  constructor(
    message: string,
    readonly action: string,
    readonly resource: string,
  ) {
    super(message);
  }
}

/** The one authorization call every ECR operation and registry request goes through. */
export interface Authorizer {
  authorize(subject: AuthzSubject, requests: readonly AuthzRequest[]): Promise<void>;
}

/** `arn:aws:ecr:us-east-1:123456789012:repository/x` → `123456789012`; `*` → undefined. */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(':', 6);
  return parts.length >= 6 && parts[4] ? parts[4] : undefined;
}

export function denialMessage(principal: Principal, req: AuthzRequest, because: string): string {
  return `User: ${principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${because}`;
}

/**
 * The rule that holds before any policy exists: an account's root may do everything in its own
 * account and nothing in another's. (Kept for tests and tools that want IAM off.)
 */
export class RootAuthorizer implements Authorizer {
  async authorize(subject: AuthzSubject, requests: readonly AuthzRequest[]): Promise<void> {
    for (const req of requests) {
      const account = accountOfArn(req.resource);
      const own = account === undefined || account === subject.principal.accountId;
      if (subject.principal.kind === 'root' && own) continue;
      throw new AccessDeniedError(
        denialMessage(
          subject.principal,
          req,
          own
            ? `because no identity-based policy allows the ${req.action} action`
            : `because no resource-based policy allows the ${req.action} action`,
        ),
        req.action,
        req.resource,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Policy-based authorization
// ---------------------------------------------------------------------------------------------

/** Where identity policies come from (the IAM directory). */
export interface IdentitySource {
  identityDocuments(principal: Principal): Promise<IdentityDocuments | undefined>;
  /** The default document of a managed policy (for session policy ARNs). */
  managedDocument(accountId: string, arn: string): Promise<string | undefined>;
  onChange(listener: (accountId: string) => void): void;
}

/** The resource-based side of a request: its policies (already stored, hence valid) and tags. */
export interface ResourceFacts {
  /** Policy texts that apply to the resource (e.g. the registry policy and the repository policy). */
  policies: readonly string[];
  /** aws:ResourceTag/* (and the service's own `<svc>:ResourceTag/*`). */
  tags?: Readonly<Record<string, string>>;
  /**
   * The policies are the primary control, as KMS key policies are: without an Allow in them the
   * request is denied whatever identity policies say (evaluate.ts, `resourcePolicyRequired`).
   */
  primary?: boolean;
}

/** Finds the resource policies of a resource ARN; services register one per ARN prefix. */
export type ResourceResolver = (resourceArn: string, action: string) => Promise<ResourceFacts | undefined>;

interface IdentityBundle {
  policies: Policy[];
  boundary?: Policy;
  tags: Record<string, string>;
}

const NO_IDENTITY: IdentityBundle = { policies: [], tags: {} };

/** At most this many compiled policy texts are kept; the cache is dropped whole when it fills. */
const MAX_COMPILED = 2000;

/**
 * Authorizes with IAM policies the way AWS combines them (evaluate.ts): identity policies of the
 * user (inline, attached, its groups') or of a session's role, the permissions boundary, session
 * policies, and the resource's policies (for ECR: the repository policy and the registry policy).
 *
 * Per-request cost: compiled identity bundles are cached per principal and dropped on any IAM
 * write of that account; resource policy texts are looked up per request (one indexed read,
 * always current even when a repository is deleted and re-created) and compiled once per text.
 */
export class PolicyAuthorizer implements Authorizer {
  private readonly bundles = new Map<string, Promise<IdentityBundle>>();
  private readonly compiled = new Map<string, Policy | null>();
  private readonly resolvers: { prefix: string; resolve: ResourceResolver }[] = [];

  constructor(private readonly identities: IdentitySource) {
    identities.onChange((accountId) => {
      for (const key of this.bundles.keys()) if (key.includes(`|${accountId}|`)) this.bundles.delete(key);
    });
  }

  /** Registers the resource-policy lookup for ARNs starting with `prefix` (e.g. `arn:aws:ecr:`). */
  registerResources(prefix: string, resolve: ResourceResolver): void {
    this.resolvers.push({ prefix, resolve });
  }

  async authorize(subject: AuthzSubject, requests: readonly AuthzRequest[]): Promise<void> {
    for (const req of requests) {
      const result = await this.decide(subject, req);
      if (result.decision === 'Deny') throw this.denied(subject.principal, req, result);
    }
  }

  /**
   * A role's trust policy decides AssumeRole together with the caller's identity policies
   * (cross-account: both must allow). Throws AccessDeniedError like authorize().
   */
  async authorizeAssumeRole(
    subject: AuthzSubject,
    role: { arn: string; accountId: string; trustPolicy: string | undefined },
    context: Readonly<Record<string, ContextValue>>,
    action = 'sts:AssumeRole',
  ): Promise<void> {
    const req: AuthzRequest = { action, resource: role.arn };
    const trust = role.trustPolicy === undefined ? undefined : this.compile(role.trustPolicy, 'trust');
    // A role that does not exist is refused exactly like one whose trust policy says no.
    const resourcePolicy: Policy =
      trust ?? { kind: 'trust', version: '2012-10-17', document: { Statement: [] }, statements: [] };
    const result = authorizeRequest({
      ...(await this.identityInputs(subject.principal)),
      resourcePolicy,
      facts: {
        principal: await this.facts(subject.principal),
        action: req.action,
        resource: req.resource,
        resourceAccount: role.accountId,
        context: this.context(subject, req, undefined, context),
      },
    });
    // STS words its denials without the reason AWS added to other services' texts, e.g. "User:
    // arn:aws:sts::…:assumed-role/… is not authorized to perform: sts:AssumeRole on resource:
    // arn:aws:iam::…:role/…" — source: aws/karpenter-provider-aws#4680 (2023),
    // aws-solutions/instance-scheduler-on-aws#558 (2024).
    if (result.decision === 'Deny') {
      throw new AccessDeniedError(
        `User: ${subject.principal.arn} is not authorized to perform: ${action} on resource: ${role.arn}`,
        action,
        role.arn,
      );
    }
  }

  /**
   * Whether a service principal (`lambda.amazonaws.com`, `ecs-tasks.amazonaws.com`) acting for
   * `sourceAccount` may perform the requests: only a resource policy naming the service can allow
   * it (evaluate.ts rule 6). Lambda and ECS call this before pulling an image.
   */
  async authorizeService(
    service: { name: string; sourceAccount: string; sourceArn?: string },
    requests: readonly AuthzRequest[],
    now: Date,
  ): Promise<{ allowed: true } | { allowed: false; message: string }> {
    const principal = servicePrincipal(service.name, service.sourceAccount);
    const subject: AuthzSubject = { principal, sourceIp: service.name, secureTransport: true, now };
    for (const req of requests) {
      const extra: Record<string, ContextValue> = { 'aws:SourceAccount': service.sourceAccount };
      if (service.sourceArn !== undefined) extra['aws:SourceArn'] = service.sourceArn;
      const result = await this.decide(subject, req, extra);
      if (result.decision === 'Deny') return { allowed: false, message: this.denied(principal, req, result).message };
    }
    return { allowed: true };
  }

  /**
   * Whether a candidate resource policy would explicitly deny the caller `req` (ECR's lock-out
   * guard on SetRepositoryPolicy asks this before storing a policy without `force`).
   */
  async resourcePolicyDenies(subject: AuthzSubject, req: AuthzRequest, policyText: string): Promise<boolean> {
    const policy = this.compile(policyText, 'resource');
    if (!policy) return false;
    const facts = {
      principal: await this.facts(subject.principal),
      action: req.action,
      resource: req.resource,
      context: this.context(subject, req, undefined, undefined),
    };
    return evaluateStatements(policy, facts, 'resource') === 'Deny';
  }

  private denied(principal: Principal, req: AuthzRequest, result: AuthorizeResult): AccessDeniedError {
    const message =
      accessDeniedMessage({ principalArn: principal.arn, action: req.action, resource: req.resource }, result) ??
      `User: ${principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
    return new AccessDeniedError(message, req.action, req.resource);
  }

  private async decide(subject: AuthzSubject, req: AuthzRequest, extra?: Readonly<Record<string, ContextValue>>): Promise<AuthorizeResult> {
    const resolver = this.resolvers.find((r) => req.resource.startsWith(r.prefix));
    const resource = resolver ? await resolver.resolve(req.resource, req.action) : undefined;
    let resourcePolicy: Policy | undefined;
    for (const text of resource?.policies ?? []) {
      const policy = this.compile(text, 'resource');
      if (!policy) continue;
      // Several resource policies (registry + repository) act as one: any Deny wins, any Allow counts.
      resourcePolicy = resourcePolicy ? { ...resourcePolicy, statements: [...resourcePolicy.statements, ...policy.statements] } : policy;
    }
    return authorizeRequest({
      ...(await this.identityInputs(subject.principal)),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      ...(resource?.primary ? { resourcePolicyRequired: true } : {}),
      facts: {
        principal: await this.facts(subject.principal),
        action: req.action,
        resource: req.resource,
        context: this.context(subject, req, resource?.tags, extra),
      },
    });
  }

  /**
   * Whether `req` would be allowed if `policyText` were the resource's primary policy (a KMS key
   * policy): KMS's lock-out check on CreateKey/PutKeyPolicy asks this for kms:PutKeyPolicy.
   */
  async allowedUnderPrimaryPolicy(subject: AuthzSubject, req: AuthzRequest, policyText: string): Promise<boolean> {
    const policy = this.compile(policyText, 'resource');
    if (!policy) return false;
    const result = authorizeRequest({
      ...(await this.identityInputs(subject.principal)),
      resourcePolicy: policy,
      resourcePolicyRequired: true,
      facts: {
        principal: await this.facts(subject.principal),
        action: req.action,
        resource: req.resource,
        context: this.context(subject, req, undefined, undefined),
      },
    });
    return result.decision === 'Allow';
  }

  private async identityInputs(p: Principal): Promise<{ identityPolicies: Policy[]; permissionBoundary?: Policy; sessionPolicies?: Policy[] }> {
    const bundle = await this.bundle(p);
    const out: { identityPolicies: Policy[]; permissionBoundary?: Policy; sessionPolicies?: Policy[] } = {
      identityPolicies: bundle.policies,
    };
    if (bundle.boundary) out.permissionBoundary = bundle.boundary;
    if (p.kind === 'assumed-role' && (p.sessionPolicy !== undefined || (p.sessionPolicyArns?.length ?? 0) > 0)) {
      // The inline session policy and the managed session policies together are the session's
      // permissions: an Allow in any of them counts (evaluate.ts) — source: IAM User Guide,
      // "Session policies". A session with policies that all vanished allows nothing.
      const sessionPolicies: Policy[] = [];
      if (p.sessionPolicy !== undefined) {
        const inline = this.compile(p.sessionPolicy, 'session');
        if (inline) sessionPolicies.push(inline);
      }
      for (const arn of p.sessionPolicyArns ?? []) {
        const text = await this.identities.managedDocument(p.accountId, arn);
        const policy = text === undefined ? undefined : this.compile(text, 'session');
        if (policy) sessionPolicies.push(withPolicyArn(policy, arn));
      }
      out.sessionPolicies =
        sessionPolicies.length > 0 ? sessionPolicies : [{ kind: 'session', version: '2012-10-17', document: { Statement: [] }, statements: [] }];
    }
    return out;
  }

  private bundle(p: Principal): Promise<IdentityBundle> {
    if (p.kind !== 'user' && p.kind !== 'assumed-role') return Promise.resolve(NO_IDENTITY);
    const key = p.kind === 'user' ? `user|${p.accountId}|${p.userName.toLowerCase()}` : `role|${p.accountId}|${p.roleName.toLowerCase()}`;
    let bundle = this.bundles.get(key);
    if (!bundle) {
      bundle = this.loadBundle(p);
      this.bundles.set(key, bundle);
      bundle.catch(() => this.bundles.delete(key));
    }
    return bundle;
  }

  private async loadBundle(p: Principal): Promise<IdentityBundle> {
    const docs = await this.identities.identityDocuments(p);
    if (!docs) return NO_IDENTITY;
    const policies: Policy[] = [];
    for (const d of docs.policies) {
      const policy = this.compile(d.text, 'identity');
      if (policy) policies.push(d.arn !== undefined ? withPolicyArn(policy, d.arn) : policy);
    }
    const boundaryPolicy = docs.boundary ? this.compile(docs.boundary.text, 'boundary') : undefined;
    return {
      policies,
      ...(boundaryPolicy && docs.boundary ? { boundary: withPolicyArn(boundaryPolicy, docs.boundary.arn) } : {}),
      tags: docs.tags,
    };
  }

  /** Compiles a stored policy once per text; a text that no longer parses counts as absent. */
  private compile(text: string, kind: PolicyKind): Policy | undefined {
    const key = `${kind}\0${text}`;
    let policy = this.compiled.get(key);
    if (policy === undefined) {
      try {
        policy = parsePolicy(text, kind, { allowLegacyVersion: true });
      } catch {
        policy = null;
      }
      if (this.compiled.size >= MAX_COMPILED) this.compiled.clear();
      this.compiled.set(key, policy);
    }
    return policy ?? undefined;
  }

  private async facts(p: Principal): Promise<PrincipalFacts> {
    switch (p.kind) {
      case 'root':
        return { arn: p.arn, accountId: p.accountId, kind: 'root', userId: p.userId };
      case 'user':
        return { arn: p.arn, accountId: p.accountId, kind: 'user', userId: p.userId, userName: p.userName, tags: (await this.bundle(p)).tags };
      case 'assumed-role':
        return {
          arn: p.arn,
          accountId: p.accountId,
          kind: 'assumed-role',
          userId: p.userId,
          roleArn: p.roleArn,
          sessionName: p.sessionName,
          tags: { ...(await this.bundle(p)).tags, ...(p.sessionTags ?? {}) },
        };
      case 'service':
        return { arn: p.arn, accountId: p.accountId, kind: 'service', userId: p.userId, serviceName: p.serviceName };
    }
  }

  private context(
    subject: AuthzSubject,
    req: AuthzRequest,
    resourceTags: Readonly<Record<string, string>> | undefined,
    extra: Readonly<Record<string, ContextValue>> | undefined,
  ): ConditionContext {
    const ctx = new ConditionContext({
      'aws:SourceIp': subject.sourceIp,
      'aws:CurrentTime': subject.now,
      'aws:EpochTime': Math.floor(subject.now.getTime() / 1000),
      'aws:SecureTransport': subject.secureTransport,
      'aws:RequestedRegion': subject.region ?? regionOfArn(req.resource),
    });
    if (resourceTags) {
      const service = req.action.slice(0, req.action.indexOf(':'));
      for (const [k, v] of Object.entries(resourceTags)) {
        ctx.set(`aws:ResourceTag/${k}`, v);
        // ECR also answers its own ecr:ResourceTag/<key> — source: service authorization reference for ECR.
        ctx.set(`${service}:ResourceTag/${k}`, v);
      }
    }
    for (const [k, v] of Object.entries(req.context ?? {})) ctx.set(k, v);
    for (const [k, v] of Object.entries(extra ?? {})) ctx.set(k, v);
    return ctx;
  }
}

function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':', 5)[3];
  return region ? region : undefined;
}
