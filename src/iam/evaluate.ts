/**
 * The policy evaluation engine: pure functions from compiled policies (policy.ts) and the facts of
 * one request to a decision. Nothing here parses JSON, builds a RegExp, reads a clock or touches
 * I/O; per request it lower-cases the action once and walks precompiled matchers.
 *
 * Sources (the AWS documentation this follows, cited again where a rule is surprising):
 *  - evaluation logic, single account:
 *    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
 *  - cross-account: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 *  - condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 *  - set operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 *  - principals / NotPrincipal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 *    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 *  - variables: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import {
  ANY_CHAR,
  parseDateText,
  parseIpv4,
  parseIpv6,
  parseNumber,
  splitArn,
  type CompiledCondition,
  type CompiledPrincipals,
  type CompiledStatement,
  type GlobPattern,
  type PatternSet,
  type Policy,
  type PolicyKind,
  type VariableRef,
} from './policy.js';

/** Explicit deny / allow / no statement applied (an implicit deny unless something else allows). */
export type Decision = 'Allow' | 'Deny' | 'Neutral';

export type PrincipalKind = 'root' | 'user' | 'assumed-role' | 'service' | 'federated';

/** What the engine knows about the caller. */
export interface PrincipalFacts {
  /** The ARN AWS prints in denials: `…:root`, `…:user/path/name`, `arn:aws:sts::…:assumed-role/role/session`, `…:federated-user/name`, or the service name. */
  readonly arn: string;
  /** The caller's account (for a service principal: the account it acts for, if any). */
  readonly accountId: string;
  readonly kind: PrincipalKind;
  /** aws:userid — the account id for root, AIDA… for users, `AROA…:session` for role sessions. */
  readonly userId: string;
  /** IAM user name (aws:username is only present for IAM users). */
  readonly userName?: string;
  /** assumed-role: the role's ARN, with its path. */
  readonly roleArn?: string;
  readonly sessionName?: string;
  /** federated (GetFederationToken): the IAM user that created the session. */
  readonly federatingUserArn?: string;
  /** federated (web identity / SAML caller of AssumeRoleWith…): the provider matched by a `Federated` principal. */
  readonly identityProvider?: string;
  /** service: e.g. `lambda.amazonaws.com`. */
  readonly serviceName?: string;
  /** aws:PrincipalTag/* (user or role tags, plus session tags). */
  readonly tags?: Readonly<Record<string, string>>;
}

export type ContextScalar = string | number | boolean | Date;
export type ContextValue = ContextScalar | readonly ContextScalar[];

/**
 * The request context: condition keys → values, keys case-insensitive ("Key names are
 * case-insensitive" — policy variables reference). A number is taken as epoch seconds by Date*
 * operators; a Date as itself. Multi-valued keys (aws:TagKeys) are arrays.
 */
export class ConditionContext {
  private readonly values = new Map<string, ContextValue>();

  constructor(entries?: Readonly<Record<string, ContextValue | undefined>> | Iterable<readonly [string, ContextValue]>) {
    if (entries === undefined) return;
    const pairs: Iterable<readonly [string, ContextValue | undefined]> =
      Symbol.iterator in entries ? (entries as Iterable<readonly [string, ContextValue]>) : Object.entries(entries);
    for (const [key, value] of pairs) if (value !== undefined) this.values.set(key.toLowerCase(), value);
  }

  set(key: string, value: ContextValue): this {
    this.values.set(key.toLowerCase(), value);
    return this;
  }

  get(key: string): ContextValue | undefined {
    return this.values.get(key.toLowerCase());
  }

  has(key: string): boolean {
    return this.values.has(key.toLowerCase());
  }

  delete(key: string): boolean {
    return this.values.delete(key.toLowerCase());
  }

  /** Lookup with a key that is already lower-case (compiled conditions store theirs so). */
  getLowerCase(key: string): ContextValue | undefined {
    return this.values.get(key);
  }

  entries(): IterableIterator<[string, ContextValue]> {
    return this.values.entries();
  }
}

export interface RequestFacts {
  readonly principal: PrincipalFacts;
  /** e.g. `ecr:PutImage` (matched case-insensitively). */
  readonly action: string;
  /** The resource ARN, or `*` for actions without a resource type (ecr:GetAuthorizationToken). */
  readonly resource: string;
  /** The account owning the resource; defaults to the ARN's account, else the caller's account. */
  readonly resourceAccount?: string;
  readonly context: ConditionContext;
}

// ---------------------------------------------------------------------------------------------
// One policy
// ---------------------------------------------------------------------------------------------

/** How a resource-based policy statement named the caller — it decides what an Allow is worth. */
const Grant = {
  None: 0,
  /** The account (`123456789012`, `…:root`): access is delegated to the account's identity policies. */
  Account: 1,
  /** The IAM entity behind a session (role ARN for a role session, the IAM user for a federated-user session). */
  Entity: 2,
  /** The caller itself (user ARN, session ARN, federated-user ARN, service, `*`). */
  Direct: 3,
} as const;
type Grant = (typeof Grant)[keyof typeof Grant];

interface Prepared {
  readonly facts: RequestFacts;
  readonly action: string;
  /** The NotPrincipal-with-Deny rule for principals that have a permissions boundary. */
  readonly boundaryAttached: boolean;
}

interface PolicyOutcome {
  readonly decision: Decision;
  readonly grant: Grant;
  readonly statement: CompiledStatement | undefined;
}

const NEUTRAL: PolicyOutcome = { decision: 'Neutral', grant: Grant.None, statement: undefined };

function evaluatePolicy(policy: Policy, request: Prepared, kind: PolicyKind): PolicyOutcome {
  const withPrincipal = kind === 'resource' || kind === 'trust';
  let allowed: CompiledStatement | undefined;
  let grant: Grant = Grant.None;
  for (const statement of policy.statements) {
    const actionHit = matchSet(statement.actions, request.action, request);
    if (actionHit === statement.notAction) continue;
    if (statement.resources !== null) {
      const resourceHit = matchSet(statement.resources, request.facts.resource, request);
      if (resourceHit === statement.notResource) continue;
    }
    let level: Grant = Grant.Direct;
    if (withPrincipal) {
      level = statementPrincipalLevel(statement, request);
      if (level === Grant.None) continue;
    }
    if (!conditionsHold(statement.conditions, request)) continue;
    if (statement.effect === 'Deny') return { decision: 'Deny', grant: Grant.None, statement };
    if (level > grant || allowed === undefined) {
      grant = level > grant ? level : grant;
      allowed = statement;
    }
  }
  return allowed === undefined ? NEUTRAL : { decision: 'Allow', grant, statement: allowed };
}

function prepare(facts: RequestFacts, boundaryAttached: boolean): Prepared {
  return { facts, action: facts.action.toLowerCase(), boundaryAttached };
}

/**
 * Evaluates one policy's statements for the request: `Deny` if a Deny statement applies, `Allow` if
 * an Allow statement does, `Neutral` otherwise. `kind` decides whether Principal/NotPrincipal take
 * part (resource and trust policies) or are absent (identity, boundary, session, SCP).
 */
export function evaluateStatements(policy: Policy, facts: RequestFacts, kind: PolicyKind = policy.kind): Decision {
  return evaluatePolicy(policy, prepare(facts, false), kind).decision;
}

// ---------------------------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------------------------

function roleIdOf(facts: PrincipalFacts): string {
  const colon = facts.userId.indexOf(':');
  return colon < 0 ? facts.userId : facts.userId.slice(0, colon);
}

/** How well a Principal block names the caller (Grant.None: it does not). */
function principalLevel(c: CompiledPrincipals, p: PrincipalFacts): Grant {
  if (c.everyone) return Grant.Direct;
  if (p.kind === 'service') {
    return p.serviceName !== undefined && c.services.has(p.serviceName.toLowerCase()) ? Grant.Direct : Grant.None;
  }
  // {"AWS": "*"} names every AWS principal; it does not name service principals (choice documented
  // in the report: AWS treats "*" and {"AWS":"*"} alike for accounts, services use "Service").
  if (c.anyAws) return Grant.Direct;
  if (c.arns.has(p.arn)) return Grant.Direct;
  switch (p.kind) {
    case 'user':
      if (c.arns.has(p.userId)) return Grant.Direct;
      break;
    case 'federated':
      if (p.identityProvider !== undefined && c.federated.has(p.identityProvider)) return Grant.Direct;
      if (p.federatingUserArn !== undefined && c.arns.has(p.federatingUserArn)) return Grant.Entity;
      break;
    case 'assumed-role':
      if ((p.roleArn !== undefined && c.arns.has(p.roleArn)) || c.arns.has(roleIdOf(p))) return Grant.Entity;
      break;
    case 'root':
      return c.accounts.has(p.accountId) ? Grant.Direct : Grant.None;
  }
  return c.accounts.has(p.accountId) ? Grant.Account : Grant.None;
}

/**
 * NotPrincipal excludes a caller only when every identity the caller carries is listed: the account,
 * and for a role session the role ARN and the session ARN too — hence AWS's advice to list all of
 * them — source: reference_policies_elements_notprincipal.html ("you must also specify the account
 * ARN of the not-denied principal … for a role session, the role and the assumed-role session").
 */
function notPrincipalExcludes(c: CompiledPrincipals, p: PrincipalFacts): boolean {
  if (c.everyone) return true;
  if (p.kind === 'service') return p.serviceName !== undefined && c.services.has(p.serviceName.toLowerCase());
  if (c.anyAws) return true;
  const account = c.accounts.has(p.accountId);
  switch (p.kind) {
    case 'root':
      return account;
    case 'user':
      return account && (c.arns.has(p.arn) || c.arns.has(p.userId));
    case 'assumed-role':
      return (
        account && c.arns.has(p.arn) && ((p.roleArn !== undefined && c.arns.has(p.roleArn)) || c.arns.has(roleIdOf(p)))
      );
    case 'federated':
      return account && (c.arns.has(p.arn) || (p.identityProvider !== undefined && c.federated.has(p.identityProvider)));
  }
}

function statementPrincipalLevel(statement: CompiledStatement, request: Prepared): Grant {
  const principals = statement.principals;
  if (principals === null) return Grant.None;
  const p = request.facts.principal;
  if (!statement.notPrincipal) return principalLevel(principals, p);
  // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
  // permissions boundary policy attached" — source: access_policies_boundaries.html (Important box).
  if (statement.effect === 'Deny' && request.boundaryAttached) return Grant.Direct;
  return notPrincipalExcludes(principals, p) ? Grant.None : Grant.Direct;
}

// ---------------------------------------------------------------------------------------------
// Context keys and variables
// ---------------------------------------------------------------------------------------------

const PRINCIPAL_TYPE: Readonly<Record<PrincipalKind, string | undefined>> = {
  root: 'Account',
  user: 'User',
  'assumed-role': 'AssumedRole',
  federated: 'FederatedUser',
  service: undefined,
};

/**
 * Global keys the engine can answer from the principal when the caller's context does not carry
 * them — source: reference_policies_condition-keys.html (aws:PrincipalArn is the role ARN, not the
 * session ARN, for role sessions; aws:username exists for IAM users only).
 */
function principalKey(p: PrincipalFacts, key: string): ContextValue | undefined {
  switch (key) {
    case 'aws:username':
      return p.kind === 'user' ? p.userName : undefined;
    case 'aws:userid':
      return p.kind === 'service' ? undefined : p.userId;
    case 'aws:principalarn':
      if (p.kind === 'service') return undefined;
      return p.kind === 'assumed-role' ? (p.roleArn ?? p.arn) : p.arn;
    case 'aws:principalaccount':
      return p.kind === 'service' ? undefined : p.accountId;
    case 'aws:principaltype':
      return PRINCIPAL_TYPE[p.kind];
    case 'aws:principalservicename':
      return p.kind === 'service' ? p.serviceName : undefined;
    case 'aws:principalisawsservice':
      return p.kind === 'service';
  }
  if (key.startsWith('aws:principaltag/') && p.tags !== undefined) {
    const wanted = key.slice('aws:principaltag/'.length);
    for (const tagKey in p.tags) if (tagKey.toLowerCase() === wanted) return p.tags[tagKey];
  }
  return undefined;
}

function lookup(request: Prepared, key: string): ContextValue | undefined {
  const value = request.facts.context.getLowerCase(key);
  return value !== undefined ? value : principalKey(request.facts.principal, key);
}

function isoSeconds(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

function scalarText(v: ContextScalar): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return isoSeconds(v);
  return String(v);
}

/** A variable's value; multi-valued keys cannot be used as variables (policy variables reference). */
function resolveVariable(ref: VariableRef, request: Prepared): string | undefined {
  const value = lookup(request, ref.key);
  let text: string | undefined;
  if (value === undefined) text = undefined;
  else if (Array.isArray(value)) text = value.length === 1 ? scalarText(value[0] as ContextScalar) : undefined;
  else text = scalarText(value as ContextScalar);
  return text ?? ref.fallback;
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

type ResolvedUnit = string | typeof ANY_CHAR;

function segmentLength(segment: readonly ResolvedUnit[]): number {
  let n = 0;
  for (const unit of segment) n += typeof unit === 'string' ? unit.length : 1;
  return n;
}

function matchesAt(segment: readonly ResolvedUnit[], s: string, at: number): boolean {
  let pos = at;
  for (const unit of segment) {
    if (typeof unit === 'string') {
      if (!s.startsWith(unit, pos)) return false;
      pos += unit.length;
    } else {
      if (pos >= s.length) return false;
      pos++;
    }
  }
  return true;
}

/** `*` matches any run of characters (including `/` and `:`), `?` exactly one. */
function matchSegments(segments: readonly (readonly ResolvedUnit[])[], s: string): boolean {
  const n = segments.length;
  const first = segments[0] as readonly ResolvedUnit[];
  if (n === 1) return segmentLength(first) === s.length && matchesAt(first, s, 0);
  if (!matchesAt(first, s, 0)) return false;
  let pos = segmentLength(first);
  const last = segments[n - 1] as readonly ResolvedUnit[];
  const lastLength = segmentLength(last);
  const end = s.length - lastLength;
  if (end < pos || !matchesAt(last, s, end)) return false;
  for (let i = 1; i < n - 1; i++) {
    const segment = segments[i] as readonly ResolvedUnit[];
    const length = segmentLength(segment);
    let found = -1;
    for (let at = pos; at + length <= end; at++) {
      if (matchesAt(segment, s, at)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + length;
  }
  return true;
}

function resolveSegments(pattern: GlobPattern, request: Prepared): ResolvedUnit[][] | undefined {
  const out: ResolvedUnit[][] = [];
  for (const segment of pattern.segments) {
    const resolved: ResolvedUnit[] = [];
    for (const unit of segment) {
      if (typeof unit === 'object') {
        const value = resolveVariable(unit, request);
        if (value === undefined) return undefined;
        resolved.push(pattern.caseInsensitive ? value.toLowerCase() : value);
      } else {
        resolved.push(unit);
      }
    }
    out.push(resolved);
  }
  return out;
}

function matchPattern(pattern: GlobPattern, s: string, request: Prepared): boolean {
  switch (pattern.shape) {
    case 'any':
      return true;
    case 'exact':
      return s === pattern.prefix;
    case 'prefixSuffix':
      return s.length >= pattern.prefix.length + pattern.suffix.length && s.startsWith(pattern.prefix) && s.endsWith(pattern.suffix);
    case 'general': {
      if (!pattern.hasVariables) return matchSegments(pattern.segments as readonly (readonly ResolvedUnit[])[], s);
      const segments = resolveSegments(pattern, request);
      return segments !== undefined && matchSegments(segments, s);
    }
  }
}

/** `s` must already be lower-case when the set is case-insensitive. */
function matchSet(set: PatternSet, s: string, request: Prepared): boolean {
  if (set.any || set.exact.has(s)) return true;
  for (const pattern of set.patterns) if (matchPattern(pattern, s, request)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

function compare(comparator: CompiledCondition['comparator'], actual: number, expected: number): boolean {
  switch (comparator) {
    case 'eq':
      return actual === expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
  }
}

function toNumber(v: ContextScalar): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseNumber(v);
  return Number.NaN;
}

function toMillis(v: ContextScalar): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') return parseDateText(v);
  return Number.NaN;
}

function ipInRange(v: ContextScalar, c: CompiledCondition): boolean {
  if (typeof v !== 'string') return false;
  const text = v.trim();
  if (text.includes(':')) {
    const words = parseIpv6(text);
    if (words === undefined) return false;
    for (const range of c.cidrs ?? []) {
      if (!range.v6) continue;
      let bits = range.prefix;
      let inside = true;
      for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
        const take = bits >= 16 ? 16 : bits;
        const mask = (0xffff << (16 - take)) & 0xffff;
        if (((words[i] as number) & mask) !== ((range.words[i] as number) & mask)) {
          inside = false;
          break;
        }
      }
      if (inside) return true;
    }
    return false;
  }
  const address = parseIpv4(text);
  if (address === undefined) return false;
  for (const range of c.cidrs ?? []) {
    if (range.v6) continue;
    if (range.prefix === 0) return true;
    const shift = 32 - range.prefix;
    if (Math.floor(address / 2 ** shift) === Math.floor((range.words[0] as number) / 2 ** shift)) return true;
  }
  return false;
}

/** ArnEquals/ArnLike: each of the six colon-separated parts matched on its own, case-sensitively. */
function arnMatches(v: ContextScalar, c: CompiledCondition, request: Prepared): boolean {
  const parts = splitArn(scalarText(v));
  for (const patterns of c.arns ?? []) {
    if (patterns.length !== parts.length) continue;
    let all = true;
    for (let i = 0; i < parts.length; i++) {
      if (!matchPattern(patterns[i] as GlobPattern, parts[i] as string, request)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/** Does one context value match any of the condition's values, in the operator's positive sense? */
function valueMatches(c: CompiledCondition, v: ContextScalar, request: Prepared): boolean {
  switch (c.family) {
    case 'string': {
      const text = scalarText(v);
      return matchSet(c.strings as PatternSet, c.caseInsensitive ? text.toLowerCase() : text, request);
    }
    case 'numeric': {
      const actual = toNumber(v);
      for (const expected of c.numbers ?? []) if (compare(c.comparator, actual, expected)) return true;
      return false;
    }
    case 'date': {
      const actual = toMillis(v);
      for (const expected of c.dates ?? []) if (compare(c.comparator, actual, expected)) return true;
      return false;
    }
    case 'bool': {
      const text = scalarText(v).toLowerCase();
      return (c.bools ?? []).includes(text);
    }
    case 'binary':
      return (c.binaries ?? []).includes(scalarText(v));
    case 'ip':
      return ipInRange(v, c);
    case 'arn':
      return arnMatches(v, c, request);
    case 'null':
      return false;
  }
}

function isEmpty(value: ContextValue): boolean {
  return Array.isArray(value) && value.length === 0;
}

/**
 * One operator/key pair. Missing keys — source: condition operators reference, "Important" box:
 * "If the key that you specify in a policy condition is not present in the request context, the
 * values do not match and the condition is false. If the policy condition requires that the key is
 * not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition
 * is true. This logic applies to all condition operators except …IfExists and Null check."
 * Set operators — source: single-vs-multi-valued keys: ForAllValues is true when the key is missing
 * or its value set is empty, ForAnyValue false. Several policy values are ORed; for a negated
 * operator they are NORed (conditions with multiple context keys or values).
 * A multi-valued context value under a plain operator behaves as ForAnyValue for the positive form
 * (and its negation for the negated form) — our choice; AWS recommends a set operator there.
 */
function conditionHolds(c: CompiledCondition, request: Prepared): boolean {
  const value = lookup(request, c.key);
  if (c.family === 'null') {
    const absent = value === undefined || isEmpty(value);
    for (const expectAbsent of c.nulls ?? []) if (expectAbsent === absent) return true;
    return false;
  }
  if (value === undefined || isEmpty(value)) {
    if (c.ifExists) return true;
    if (c.qualifier === 'all') return true;
    if (c.qualifier === 'any') return false;
    return c.negated;
  }
  if (!Array.isArray(value)) {
    const hit = valueMatches(c, value as ContextScalar, request);
    return c.negated ? !hit : hit;
  }
  const values = value as readonly ContextScalar[];
  if (c.qualifier === 'all') {
    for (const v of values) if (valueMatches(c, v, request) === c.negated) return false;
    return true;
  }
  if (c.qualifier === 'any') {
    for (const v of values) if (valueMatches(c, v, request) !== c.negated) return true;
    return false;
  }
  let hit = false;
  for (const v of values) {
    if (valueMatches(c, v, request)) {
      hit = true;
      break;
    }
  }
  return c.negated ? !hit : hit;
}

function conditionsHold(conditions: readonly CompiledCondition[], request: Prepared): boolean {
  for (const c of conditions) if (!conditionHolds(c, request)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The whole decision
// ---------------------------------------------------------------------------------------------

export type PolicyType =
  | 'identity-based policy'
  | 'resource-based policy'
  | 'permissions boundary'
  | 'session policy'
  | 'service control policy';

export type AuthorizeReason = 'explicitDeny' | 'noIdentityAllow' | 'noResourceAllow' | 'boundary' | 'session' | 'scp' | 'allowed';

export interface AuthorizeInput {
  /** The principal's identity policies: user (with its groups') or role policies, inline and managed. */
  readonly identityPolicies: readonly Policy[];
  /** The resource's policy (repository/registry policy, or a role trust policy — kind 'trust' must allow explicitly). */
  readonly resourcePolicy?: Policy;
  /**
   * The resource policy is the primary control (KMS key policies): unless it allows, nothing
   * does — not identity policies, not even the account's root. An Allow naming the account
   * (`…:root`) delegates to IAM policies (root has them all); one naming the caller grants as any
   * resource policy does — source: KMS Developer Guide, "Key policies in AWS KMS" ("Unless the key
   * policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key").
   */
  readonly resourcePolicyRequired?: boolean;
  readonly permissionBoundary?: Policy;
  /** Session policies passed to AssumeRole / GetFederationToken (one of them allowing suffices). */
  readonly sessionPolicies?: readonly Policy[];
  /** Effective SCP at each level of the caller's organization path; every level must allow. */
  readonly scps?: readonly Policy[];
  readonly facts: RequestFacts;
}

export interface AuthorizeResult {
  readonly decision: 'Allow' | 'Deny';
  readonly reason: AuthorizeReason;
  /** For a Deny: the policy type AWS names in the message. */
  readonly deniedBy?: PolicyType;
  /** For an explicit Deny: the ARN of the denying policy when it has one (not for resource policies). */
  readonly deniedByPolicyArn?: string;
  /** The statement that decided (the Deny, or the Allow that granted), for logs and tests. */
  readonly statementSid?: string;
  readonly crossAccount: boolean;
}

const NO_POLICIES: readonly Policy[] = [];

type ImplicitReason = Exclude<AuthorizeReason, 'explicitDeny' | 'allowed'>;

const REASON_TYPE: Readonly<Record<ImplicitReason, PolicyType>> = {
  noIdentityAllow: 'identity-based policy',
  noResourceAllow: 'resource-based policy',
  boundary: 'permissions boundary',
  session: 'session policy',
  scp: 'service control policy',
};

/** The account part of an ARN when it is a 12-digit id (`arn:aws:ecr:us-east-1:111122223333:…`). */
function accountOfArn(arn: string): string | undefined {
  if (!arn.startsWith('arn:')) return undefined;
  let colon = 3;
  for (let i = 0; i < 3; i++) {
    colon = arn.indexOf(':', colon + 1);
    if (colon < 0) return undefined;
  }
  const end = arn.indexOf(':', colon + 1);
  if (end !== colon + 13) return undefined;
  for (let i = colon + 1; i < end; i++) {
    const c = arn.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return arn.slice(colon + 1, end);
}

function implicitDeny(reason: ImplicitReason, crossAccount: boolean): AuthorizeResult {
  return { decision: 'Deny', reason, deniedBy: REASON_TYPE[reason], crossAccount };
}

function explicitDeny(type: PolicyType, policy: Policy, outcome: PolicyOutcome, crossAccount: boolean): AuthorizeResult {
  const result: { -readonly [K in keyof AuthorizeResult]: AuthorizeResult[K] } = {
    decision: 'Deny',
    reason: 'explicitDeny',
    deniedBy: type,
    crossAccount,
  };
  if (policy.arn !== undefined && type !== 'resource-based policy') result.deniedByPolicyArn = policy.arn;
  if (outcome.statement?.sid !== undefined) result.statementSid = outcome.statement.sid;
  return result;
}

function allowed(statement: CompiledStatement | undefined, crossAccount: boolean): AuthorizeResult {
  return statement?.sid === undefined
    ? { decision: 'Allow', reason: 'allowed', crossAccount }
    : { decision: 'Allow', reason: 'allowed', statementSid: statement.sid, crossAccount };
}

/**
 * Decides one request the way AWS does:
 *  1. an explicit Deny in any applicable policy (SCP, identity, resource, boundary, session) wins;
 *  2. SCPs must allow (every level);
 *  3. same account: an identity Allow (within boundary and session policies) or a resource-policy
 *     Allow suffices; what a resource-policy Allow is worth depends on how it names the caller
 *     (evaluation-logic page, "Resource-based policies and implicit denies in other policy types"):
 *       - the user ARN, the role-session ARN, the federated-user ARN, a service, or `*`: granted
 *         outright — no identity policy, boundary or session policy needed;
 *       - the role ARN (for a role session) or the IAM user behind a federated-user session: still
 *         limited by an implicit deny in a permissions boundary or session policy, not by the
 *         identity policies;
 *       - the account (`123456789012` / `…:root`): delegated — identity policies must allow;
 *     a role trust policy must allow in every case (it is not enough that identity policies do);
 *  4. cross account: the identity side (identity ∩ boundary ∩ session ∩ SCP) and the resource policy
 *     must both allow;
 *  5. root is allowed everything in its own account (explicit denies in resource policies and SCPs
 *     still apply); elsewhere it needs the resource policy;
 *  6. service principals are allowed only by a resource policy that names them;
 *  7. with `resourcePolicyRequired` (KMS key policies), no Allow in the resource policy is a deny,
 *     for root too; an Allow for the account then works as in 3 (identity policies must allow).
 */
export function authorizeRequest(input: AuthorizeInput): AuthorizeResult {
  const { facts } = input;
  const p = facts.principal;
  const isService = p.kind === 'service';
  const hasIdentity = p.kind !== 'root' && !isService;
  const isSession = p.kind === 'assumed-role' || p.kind === 'federated';
  const request = prepare(facts, hasIdentity && input.permissionBoundary !== undefined);
  const resourceAccount = facts.resourceAccount ?? accountOfArn(facts.resource) ?? p.accountId;
  const crossAccount = !isService && resourceAccount !== p.accountId;

  // 1. explicit denies
  const scps = isService ? NO_POLICIES : (input.scps ?? NO_POLICIES);
  let scpsAllow = true;
  for (const scp of scps) {
    const outcome = evaluatePolicy(scp, request, 'identity');
    if (outcome.decision === 'Deny') return explicitDeny('service control policy', scp, outcome, crossAccount);
    if (outcome.decision !== 'Allow') scpsAllow = false;
  }
  let identity: PolicyOutcome = NEUTRAL;
  if (hasIdentity) {
    for (const policy of input.identityPolicies) {
      const outcome = evaluatePolicy(policy, request, 'identity');
      if (outcome.decision === 'Deny') return explicitDeny('identity-based policy', policy, outcome, crossAccount);
      if (outcome.decision === 'Allow' && identity.decision !== 'Allow') identity = outcome;
    }
  }
  const resourcePolicy = input.resourcePolicy;
  let resource: PolicyOutcome = NEUTRAL;
  if (resourcePolicy !== undefined) {
    resource = evaluatePolicy(resourcePolicy, request, resourcePolicy.kind === 'trust' ? 'trust' : 'resource');
    if (resource.decision === 'Deny') return explicitDeny('resource-based policy', resourcePolicy, resource, crossAccount);
  }
  let boundaryAllows = true;
  if (hasIdentity && input.permissionBoundary !== undefined) {
    const outcome = evaluatePolicy(input.permissionBoundary, request, 'identity');
    if (outcome.decision === 'Deny') return explicitDeny('permissions boundary', input.permissionBoundary, outcome, crossAccount);
    boundaryAllows = outcome.decision === 'Allow';
  }
  const sessionPolicies = isSession ? (input.sessionPolicies ?? NO_POLICIES) : NO_POLICIES;
  let sessionAllows = false;
  for (const policy of sessionPolicies) {
    const outcome = evaluatePolicy(policy, request, 'identity');
    if (outcome.decision === 'Deny') return explicitDeny('session policy', policy, outcome, crossAccount);
    if (outcome.decision === 'Allow') sessionAllows = true;
  }

  // 6. service principals
  if (isService) return resource.decision === 'Allow' ? allowed(resource.statement, crossAccount) : implicitDeny('noResourceAllow', crossAccount);

  // 2. SCPs
  if (!scpsAllow) return implicitDeny('scp', crossAccount);

  const resourceAllows = resource.decision === 'Allow';
  const mustBeTrusted = resourcePolicy?.kind === 'trust';

  // 5. root
  if (p.kind === 'root') {
    if (!crossAccount && !mustBeTrusted && !input.resourcePolicyRequired) return allowed(undefined, crossAccount);
    return resourceAllows ? allowed(resource.statement, crossAccount) : implicitDeny('noResourceAllow', crossAccount);
  }

  // Session policies: a role session without any is bounded by its role alone; a federated-user
  // session without any has no permissions (evaluation logic, "Session policies" step).
  const sessionOk = !isSession || (sessionPolicies.length > 0 ? sessionAllows : p.kind === 'assumed-role');
  const identityAllows = identity.decision === 'Allow';
  const identityFailure = !identityAllows ? 'noIdentityAllow' : !boundaryAllows ? 'boundary' : !sessionOk ? 'session' : undefined;

  // 4. cross account
  if (crossAccount) {
    if (identityFailure !== undefined) return implicitDeny(identityFailure, crossAccount);
    return resourceAllows ? allowed(resource.statement, crossAccount) : implicitDeny('noResourceAllow', crossAccount);
  }

  // 3. same account
  if (resourceAllows) {
    if (resource.grant === Grant.Direct) return allowed(resource.statement, crossAccount);
    if (resource.grant === Grant.Entity) {
      if (!boundaryAllows) return implicitDeny('boundary', crossAccount);
      if (!sessionOk) return implicitDeny('session', crossAccount);
      return allowed(resource.statement, crossAccount);
    }
    return identityFailure === undefined ? allowed(identity.statement, crossAccount) : implicitDeny(identityFailure, crossAccount);
  }
  if (mustBeTrusted || input.resourcePolicyRequired) return implicitDeny('noResourceAllow', crossAccount);
  return identityFailure === undefined ? allowed(identity.statement, crossAccount) : implicitDeny(identityFailure, crossAccount);
}
