/**
 * IAM policy documents: the parsed shape, IAM's validation (with its MalformedPolicyDocument
 * texts), and the one-time compilation of every statement into matchers the evaluator runs
 * without any parsing, regex construction or JSON work per request.
 *
 * Validation order and texts follow the checks IAM applies to CreatePolicy / PutUserPolicy /
 * CreateRole, as recorded against real AWS by moto's and LocalStack's IAM validators
 * (getmoto/moto tests/test_iam/test_iam_policies.py) and by error texts quoted in public issues:
 *   1. "Syntax errors in policy."                       bad JSON, unknown field, wrong types, bad Effect
 *                                                      word, unknown Version, unknown condition operator
 *   2. "Policy document should not specify a principal." identity-type policy with Principal
 *   3. "Policy document must be version 2012-10-17 or greater."  identity-type policy without it
 *   4. "The policy failed legacy parsing"              Effect in the wrong case, bad date in a Date*
 *                                                      condition, resource like "arn:aws:s3::x"
 *   5. "Statement IDs (SID) in a single policy must be unique."
 *   6. "Policy statement must contain actions." / "Policy statement must contain resources."
 *      / "Missing required field Principal" / "Has prohibited field Resource"
 *   7. resource format texts, e.g. 'Resource x must be in ARN format or "*".'
 *   8. action format texts, e.g. "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
 *   9. 'Invalid principal in policy: "AWS":"…"'
 * Note: an unknown condition operator (`StringEqualz`) is a plain "Syntax errors in policy." in IAM;
 * "Invalid Condition type : X" is S3's bucket-policy text (MalformedPolicy), not IAM's.
 * A Version other than 2008-10-17 / 2012-10-17 is also "Syntax errors in policy." (moto's recorded
 * case "2013-10-17"); "The policy failed legacy parsing" is what a mis-cased Effect ("allow") gives.
 */

export type PolicyKind = 'identity' | 'resource' | 'trust' | 'boundary' | 'session';
export type PolicyLanguageVersion = '2012-10-17' | '2008-10-17';
export type Effect = 'Allow' | 'Deny';
export type PrincipalBlockKey = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';

/** `"*"` or `{ AWS: [...], Service: [...], ... }`, always with arrays after parsing. */
export type PrincipalDocument = '*' | { readonly [K in PrincipalBlockKey]?: readonly string[] };

/** operator → condition key → values (numbers and booleans in the JSON are kept as their text). */
export type ConditionDocument = { readonly [operator: string]: { readonly [key: string]: readonly string[] } };

export interface StatementDocument {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Principal?: PrincipalDocument;
  readonly NotPrincipal?: PrincipalDocument;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: ConditionDocument;
}

/** The document as written, with every string-or-array normalised to an array. */
export interface PolicyDocument {
  readonly Version?: PolicyLanguageVersion;
  readonly Id?: string;
  readonly Statement: readonly StatementDocument[];
}

/** A validated, compiled policy. Build it once (parsePolicy) and evaluate it many times. */
export interface Policy {
  readonly kind: PolicyKind;
  /** The language version in force: a missing Version means 2008-10-17 (no policy variables). */
  readonly version: PolicyLanguageVersion;
  readonly document: PolicyDocument;
  readonly statements: readonly CompiledStatement[];
  /** Where the policy came from, for denial messages ("…explicit deny in an identity-based policy: <arn>"). */
  readonly arn?: string;
}

export class PolicyDocumentError extends Error {
  readonly kind = 'MalformedPolicyDocument' as const;
  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}

export interface ParsePolicyOptions {
  /**
   * Called for every `AWS` principal other than `*` (an account id, a root/user/role/session ARN or a
   * unique id). IAM resolves principals when it stores a trust or resource policy and answers
   * 'Invalid principal in policy: "AWS":"<value>"' for one that does not exist.
   */
  principalExists?: (value: string) => boolean;
  /** Accept identity-type documents without Version 2012-10-17 (IAM rejects them; default false). */
  allowLegacyVersion?: boolean;
  /**
   * Accept statements that share a Sid (IAM refuses them; ECR's repository and registry policies
   * do not — source: getmoto/moto#8933, ECR user guide "Private registry policy examples").
   */
  allowDuplicateSids?: boolean;
}

/** Returns a copy of the policy that knows its ARN (for denial messages). */
export function withPolicyArn(policy: Policy, arn: string): Policy {
  return { ...policy, arn };
}

// ---------------------------------------------------------------------------------------------
// Compiled forms (consumed by evaluate.ts)
// ---------------------------------------------------------------------------------------------

/** One piece of a pattern between `*` wildcards. */
export type PatternUnit = string | typeof ANY_CHAR | VariableRef;
export const ANY_CHAR = 1;
export interface VariableRef {
  /** Lower-cased condition key, e.g. `aws:username`, `aws:principaltag/team`. */
  readonly key: string;
  /** `${key, 'default'}`. */
  readonly fallback: string | undefined;
}

/**
 * A wildcard pattern split at its `*`s. `segments[0]` is anchored at the start, the last segment at
 * the end, the ones between float (leftmost match is optimal because every segment has a fixed
 * length once its variables are resolved). One segment means no `*` at all.
 */
export interface GlobPattern {
  readonly source: string;
  readonly segments: readonly (readonly PatternUnit[])[];
  /** Fast paths for patterns without `?` or variables. */
  readonly shape: 'any' | 'exact' | 'prefixSuffix' | 'general';
  readonly prefix: string;
  readonly suffix: string;
  readonly hasVariables: boolean;
  /** Literal text compared lower-cased (actions, *IgnoreCase operators). */
  readonly caseInsensitive: boolean;
}

export interface PatternSet {
  readonly any: boolean;
  /** Patterns without wildcards or variables (lower-cased when case-insensitive). */
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly GlobPattern[];
}

export interface CompiledPrincipals {
  /** `"*"`: everyone, service principals included. */
  readonly everyone: boolean;
  /** `{"AWS": "*"}`: every AWS account principal (not service principals). */
  readonly anyAws: boolean;
  readonly accounts: ReadonlySet<string>;
  /** user, role, assumed-role session and federated-user ARNs, and unique ids (AIDA…, AROA…). */
  readonly arns: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;
  readonly federated: ReadonlySet<string>;
  readonly canonicalUsers: ReadonlySet<string>;
}

export type ConditionFamily = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
export type SetQualifier = 'none' | 'any' | 'all';
export type Comparator = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

export interface CidrRange {
  readonly v6: boolean;
  /** IPv4: one 32-bit word; IPv6: eight 16-bit words. */
  readonly words: readonly number[];
  readonly prefix: number;
}

export interface CompiledCondition {
  readonly operator: string;
  readonly base: string;
  readonly family: ConditionFamily;
  /** Lower-cased context key. */
  readonly key: string;
  readonly qualifier: SetQualifier;
  readonly ifExists: boolean;
  readonly negated: boolean;
  /** numeric and date families: the comparison the positive form of the operator makes. */
  readonly comparator: Comparator;
  /** StringEqualsIgnoreCase / StringNotEqualsIgnoreCase: context values are lower-cased before matching. */
  readonly caseInsensitive: boolean;
  /** string family: StringEquals* compare whole values, StringLike* use wildcards. */
  readonly strings?: PatternSet;
  readonly numbers?: readonly number[];
  /** Milliseconds since the epoch (NaN when the text is not a date AWS would understand). */
  readonly dates?: readonly number[];
  readonly bools?: readonly string[];
  readonly binaries?: readonly string[];
  readonly cidrs?: readonly CidrRange[];
  /** arn family: each value split into its six colon-separated parts, each part a pattern. */
  readonly arns?: readonly (readonly GlobPattern[])[];
  /** null family: `true` = the key must be absent. */
  readonly nulls?: readonly boolean[];
}

export interface CompiledStatement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly actions: PatternSet;
  readonly notAction: boolean;
  /** null: the statement names no resource (trust and resource policies may omit it) — any resource. */
  readonly resources: PatternSet | null;
  readonly notResource: boolean;
  /** null: no Principal element (identity-type policies). */
  readonly principals: CompiledPrincipals | null;
  readonly notPrincipal: boolean;
  readonly conditions: readonly CompiledCondition[];
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

interface PatternOptions {
  wildcards: boolean;
  variables: boolean;
  caseInsensitive: boolean;
}

/**
 * Compiles `text` once. With `variables` (policy language 2012-10-17), `${key}` and
 * `${key, 'default'}` become variable references and `${*}`, `${?}`, `${$}` literal characters —
 * source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 * (2008-10-17 documents treat `${…}` literally).
 */
export function compilePattern(text: string, options: PatternOptions): GlobPattern {
  const segments: PatternUnit[][] = [[]];
  let literal = '';
  let hasVariables = false;
  let hasAnyChar = false;
  const current = (): PatternUnit[] => segments[segments.length - 1] as PatternUnit[];
  const flush = (): void => {
    if (literal !== '') {
      current().push(options.caseInsensitive ? literal.toLowerCase() : literal);
      literal = '';
    }
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '*' && options.wildcards) {
      flush();
      segments.push([]);
      continue;
    }
    if (ch === '?' && options.wildcards) {
      flush();
      current().push(ANY_CHAR);
      hasAnyChar = true;
      continue;
    }
    if (ch === '$' && options.variables && text[i + 1] === '{') {
      const close = findVariableEnd(text, i + 2);
      if (close > 0) {
        const inner = text.slice(i + 2, close);
        if (inner === '*' || inner === '?' || inner === '$') {
          literal += inner;
        } else {
          const ref = parseVariable(inner);
          if (ref === undefined) {
            literal += text.slice(i, close + 1);
          } else {
            flush();
            current().push(ref);
            hasVariables = true;
          }
        }
        i = close;
        continue;
      }
    }
    literal += ch;
  }
  flush();
  let shape: GlobPattern['shape'] = 'general';
  let prefix = '';
  let suffix = '';
  if (!hasVariables && !hasAnyChar) {
    const texts = segments.map((s) => s.join(''));
    if (segments.length === 1) {
      shape = 'exact';
      prefix = texts[0] as string;
    } else if (segments.length === 2) {
      prefix = texts[0] as string;
      suffix = texts[1] as string;
      shape = prefix === '' && suffix === '' ? 'any' : 'prefixSuffix';
    } else if (texts.every((t) => t === '')) {
      shape = 'any';
    }
  }
  return { source: text, segments, shape, prefix, suffix, hasVariables, caseInsensitive: options.caseInsensitive };
}

/** Index of the `}` closing a `${` whose content starts at `from`, honouring `'…'` defaults. */
function findVariableEnd(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      if (quoted && text[i + 1] === "'") {
        i++;
        continue;
      }
      quoted = !quoted;
    } else if (ch === '}' && !quoted) {
      return i;
    }
  }
  return -1;
}

/** `aws:username` or `aws:PrincipalTag/team , 'default'`; undefined when malformed (kept literal). */
function parseVariable(inner: string): VariableRef | undefined {
  const comma = inner.indexOf(',');
  const name = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (name === '' || /\s/.test(name)) return undefined;
  if (comma < 0) return { key: name.toLowerCase(), fallback: undefined };
  const rest = inner.slice(comma + 1).trim();
  if (rest.length < 2 || !rest.startsWith("'") || !rest.endsWith("'")) return undefined;
  const body = rest.slice(1, -1);
  if (body.replace(/''/g, '').includes("'")) return undefined;
  return { key: name.toLowerCase(), fallback: body.replace(/''/g, "'") };
}

export function compilePatternSet(values: readonly string[], options: PatternOptions): PatternSet {
  const exact = new Set<string>();
  const patterns: GlobPattern[] = [];
  let any = false;
  for (const value of values) {
    const pattern = compilePattern(value, options);
    if (pattern.shape === 'any') any = true;
    else if (pattern.shape === 'exact') exact.add(pattern.prefix);
    else patterns.push(pattern);
  }
  return { any, exact, patterns };
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------------

const SYNTAX = 'Syntax errors in policy.';
const LEGACY = 'The policy failed legacy parsing';

const TOP_LEVEL_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KEYS: readonly PrincipalBlockKey[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

/** Condition operators — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html */
const OPERATORS: ReadonlyMap<string, { family: ConditionFamily; negated: boolean }> = new Map([
  ['StringEquals', { family: 'string', negated: false }],
  ['StringNotEquals', { family: 'string', negated: true }],
  ['StringEqualsIgnoreCase', { family: 'string', negated: false }],
  ['StringNotEqualsIgnoreCase', { family: 'string', negated: true }],
  ['StringLike', { family: 'string', negated: false }],
  ['StringNotLike', { family: 'string', negated: true }],
  ['NumericEquals', { family: 'numeric', negated: false }],
  ['NumericNotEquals', { family: 'numeric', negated: true }],
  ['NumericLessThan', { family: 'numeric', negated: false }],
  ['NumericLessThanEquals', { family: 'numeric', negated: false }],
  ['NumericGreaterThan', { family: 'numeric', negated: false }],
  ['NumericGreaterThanEquals', { family: 'numeric', negated: false }],
  ['DateEquals', { family: 'date', negated: false }],
  ['DateNotEquals', { family: 'date', negated: true }],
  ['DateLessThan', { family: 'date', negated: false }],
  ['DateLessThanEquals', { family: 'date', negated: false }],
  ['DateGreaterThan', { family: 'date', negated: false }],
  ['DateGreaterThanEquals', { family: 'date', negated: false }],
  ['Bool', { family: 'bool', negated: false }],
  ['BinaryEquals', { family: 'binary', negated: false }],
  ['IpAddress', { family: 'ip', negated: false }],
  ['NotIpAddress', { family: 'ip', negated: true }],
  ['ArnEquals', { family: 'arn', negated: false }],
  ['ArnLike', { family: 'arn', negated: false }],
  ['ArnNotEquals', { family: 'arn', negated: true }],
  ['ArnNotLike', { family: 'arn', negated: true }],
  ['Null', { family: 'null', negated: false }],
]);

/** Actions a role trust policy may name (CreateRole / UpdateAssumeRolePolicy). */
const TRUST_ACTIONS = new Set(
  [
    'sts:AssumeRole',
    'sts:AssumeRoleWithSAML',
    'sts:AssumeRoleWithWebIdentity',
    'sts:TagSession',
    'sts:SetSourceIdentity',
    'sts:SetContext',
  ].map((a) => a.toLowerCase()),
);

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc', '*']);
const IAM_RESOURCE_PREFIXES = [
  'user/',
  'federated-user/',
  'role/',
  'group/',
  'instance-profile/',
  'mfa/',
  'server-certificate/',
  'policy/',
  'sms-mfa/',
  'saml-provider/',
  'oidc-provider/',
  'report/',
  'access-report/',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new PolicyDocumentError(message);
}

const isIdentityKind = (kind: PolicyKind): boolean => kind === 'identity' || kind === 'boundary' || kind === 'session';

/** Raw statement as JSON gave it, after the syntax pass. */
interface RawStatement {
  Sid?: string;
  Effect: string;
  Principal?: PrincipalDocument;
  NotPrincipal?: PrincipalDocument;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

/**
 * Parses and validates a policy document the way IAM does for `kind`, then compiles it.
 * Throws PolicyDocumentError with IAM's MalformedPolicyDocument text.
 */
export function parsePolicy(text: string, kind: PolicyKind, options: ParsePolicyOptions = {}): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(SYNTAX);
  }
  return compilePolicyJson(json, kind, options);
}

/** As parsePolicy, for a document already decoded from JSON. */
export function compilePolicyJson(json: unknown, kind: PolicyKind, options: ParsePolicyOptions = {}): Policy {
  // 1. syntax
  if (!isRecord(json)) fail(SYNTAX);
  for (const field of Object.keys(json)) if (!TOP_LEVEL_FIELDS.has(field)) fail(SYNTAX);
  const version = json['Version'];
  if (version !== undefined && version !== '2012-10-17' && version !== '2008-10-17') fail(SYNTAX);
  const id = json['Id'];
  if (id !== undefined && typeof id !== 'string') fail(SYNTAX);
  const rawStatements = json['Statement'];
  let statementList: unknown[];
  if (Array.isArray(rawStatements)) statementList = rawStatements;
  else if (isRecord(rawStatements)) statementList = [rawStatements];
  else fail(SYNTAX);
  if (statementList.length === 0) fail(SYNTAX);
  const statements = statementList.map(parseStatementSyntax);

  // 2. principals in identity-type documents
  if (isIdentityKind(kind) && statements.some((s) => s.Principal !== undefined || s.NotPrincipal !== undefined)) {
    fail('Policy document should not specify a principal.');
  }

  // 3. version
  if (isIdentityKind(kind) && version !== '2012-10-17' && options.allowLegacyVersion !== true) {
    fail('Policy document must be version 2012-10-17 or greater.');
  }

  // 4. legacy parsing
  for (const s of statements) legacyParseStatement(s);
  // IAM checks every Resource list, then every NotResource list; within a list it walks the values
  // in reverse lexical order and the last bad value's text is the one reported (moto's recording).
  let resourceError: string | undefined;
  for (const key of ['Resource', 'NotResource'] as const) {
    for (const s of statements) {
      const list = s[key];
      if (list === undefined) continue;
      for (const r of [...list].sort().reverse()) resourceError = resourceFormatError(r) ?? resourceError;
      if (resourceError !== undefined) continue;
      for (const r of list) {
        if (r === '*') continue;
        const colons = r.split(':').length - 1;
        if ((colons < 5 && r.includes('::')) || (r.split(':')[2] ?? '') === '') fail(LEGACY);
      }
    }
  }

  // 5. statement ids
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.Sid === undefined || s.Sid === '') continue;
    if (sids.has(s.Sid) && options.allowDuplicateSids !== true) fail('Statement IDs (SID) in a single policy must be unique.');
    sids.add(s.Sid);
  }
  if (isIdentityKind(kind)) {
    for (const s of statements) {
      if (s.Sid !== undefined && !/^[0-9A-Za-z]*$/.test(s.Sid)) {
        fail('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
      }
    }
  }

  // 6. required and prohibited elements
  for (const s of statements) {
    const actions = s.Action ?? s.NotAction;
    if (actions === undefined || actions.length === 0) fail('Policy statement must contain actions.');
  }
  if (isIdentityKind(kind)) {
    for (const s of statements) {
      const resources = s.Resource ?? s.NotResource;
      if (resources === undefined || resources.length === 0) fail('Policy statement must contain resources.');
    }
  } else {
    for (const s of statements) {
      if (s.Principal === undefined && s.NotPrincipal === undefined) fail('Missing required field Principal');
    }
  }
  if (kind === 'trust') {
    for (const s of statements) {
      for (const action of s.Action ?? s.NotAction ?? []) {
        if (!TRUST_ACTIONS.has(action.toLowerCase())) {
          fail(
            'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity',
          );
        }
      }
    }
    for (const s of statements) {
      if (s.Resource !== undefined || s.NotResource !== undefined) fail('Has prohibited field Resource');
    }
  }

  // 7. resource formats
  if (resourceError !== undefined) fail(resourceError);

  // 8. action formats
  for (const s of statements) for (const action of s.Action ?? s.NotAction ?? []) validateAction(action);

  // 9. principals
  for (const s of statements) {
    for (const principal of [s.Principal, s.NotPrincipal]) {
      if (principal !== undefined) validatePrincipal(principal, options);
    }
  }

  const effectiveVersion: PolicyLanguageVersion = version === '2012-10-17' ? '2012-10-17' : '2008-10-17';
  const document: PolicyDocument = {
    ...(version !== undefined ? { Version: version } : {}),
    ...(id !== undefined ? { Id: id } : {}),
    Statement: statements.map(toStatementDocument),
  };
  return {
    kind,
    version: effectiveVersion,
    document,
    statements: document.Statement.map((s, index) => compileStatement(s, index, effectiveVersion)),
  };
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return [...value];
  fail(SYNTAX);
}

function parseStatementSyntax(value: unknown): RawStatement {
  if (!isRecord(value)) fail(SYNTAX);
  for (const field of Object.keys(value)) if (!STATEMENT_FIELDS.has(field)) fail(SYNTAX);
  if ('Action' in value && 'NotAction' in value) fail(SYNTAX);
  if ('Resource' in value && 'NotResource' in value) fail(SYNTAX);
  if ('Principal' in value && 'NotPrincipal' in value) fail(SYNTAX);
  const effect = value['Effect'];
  if (typeof effect !== 'string') fail(SYNTAX);
  const lowered = effect.toLowerCase();
  if (lowered !== 'allow' && lowered !== 'deny') fail(SYNTAX);
  const sid = value['Sid'];
  if (sid !== undefined && typeof sid !== 'string') fail(SYNTAX);
  const statement: RawStatement = { Effect: effect };
  if (sid !== undefined) statement.Sid = sid;
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (value[key] !== undefined) statement[key] = stringList(value[key]);
  }
  for (const key of ['Principal', 'NotPrincipal'] as const) {
    if (value[key] !== undefined) statement[key] = principalSyntax(value[key]);
  }
  if (value['Condition'] !== undefined) statement.Condition = conditionSyntax(value['Condition']);
  return statement;
}

function principalSyntax(value: unknown): PrincipalDocument {
  if (value === '*') return '*';
  if (!isRecord(value)) fail(SYNTAX);
  const block: { [K in PrincipalBlockKey]?: string[] } = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!(PRINCIPAL_KEYS as readonly string[]).includes(key)) fail(SYNTAX);
    block[key as PrincipalBlockKey] = stringList(entry);
  }
  return block;
}

function conditionValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  fail(SYNTAX);
}

function conditionSyntax(value: unknown): Record<string, Record<string, string[]>> {
  if (!isRecord(value)) fail(SYNTAX);
  const result: Record<string, Record<string, string[]>> = {};
  for (const [operator, block] of Object.entries(value)) {
    if (!isRecord(block)) fail(SYNTAX);
    const keys: Record<string, string[]> = {};
    for (const [key, entry] of Object.entries(block)) {
      keys[key] = Array.isArray(entry) ? entry.map(conditionValueText) : [conditionValueText(entry)];
    }
    // An unknown operator is only accepted with an empty block (moto's recorded AWS behaviour).
    if (splitOperator(operator) === undefined && Object.keys(keys).length > 0) fail(SYNTAX);
    result[operator] = keys;
  }
  return result;
}

interface OperatorParts {
  base: string;
  family: ConditionFamily;
  negated: boolean;
  qualifier: SetQualifier;
  ifExists: boolean;
}

function splitOperator(operator: string): OperatorParts | undefined {
  let rest = operator;
  let qualifier: SetQualifier = 'none';
  if (rest.startsWith('ForAnyValue:')) {
    qualifier = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    qualifier = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const info = OPERATORS.get(rest);
  if (info === undefined) return undefined;
  return { base: rest, family: info.family, negated: info.negated, qualifier, ifExists };
}

function legacyParseStatement(s: RawStatement): void {
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') fail(LEGACY);
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    const parts = splitOperator(operator);
    if (parts?.family !== 'date') continue;
    for (const values of Object.values(block)) for (const v of values) if (!legacyDateValid(v)) fail(LEGACY);
  }
}

/** IAM's lenient date grammar for Date* condition values (moto's port of it). */
function legacyDateValid(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower.includes('t') || value.includes('-')) return legacyIsoValid(lower);
  if (!/^\d+$/.test(value)) return false;
  return BigInt(value) <= 9223372036854775807n;
}

function intIn(text: string | undefined, min: number, max: number): boolean {
  if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) return false;
  const n = Number(text);
  return n >= min && n <= max;
}

function legacyIsoValid(datetime: string): boolean {
  const t = datetime.indexOf('t');
  const datePart = t < 0 ? datetime : datetime.slice(0, t);
  const timePart = t < 0 ? '' : datetime.slice(t + 1);
  const negative = datePart.startsWith('-');
  const dateParts = (negative ? datePart.slice(1) : datePart).split('-');
  if (!intIn((negative ? '-' : '') + (dateParts[0] ?? ''), -292275054, 292278993)) return false;
  if (dateParts.length > 1 && !intIn(dateParts[1], 1, 12)) return false;
  if (dateParts.length > 2 && !intIn(dateParts[2], 1, 31)) return false;
  if (dateParts.length >= 4) return false;
  const timeParts = timePart.split(':');
  if (timeParts[0] !== '' && !intIn(timeParts[0], 0, 23)) return false;
  if (timeParts.length > 1 && !intIn(timeParts[1], 0, 59)) return false;
  if (timeParts.length > 2) {
    const last = timeParts.slice(2).join(':');
    let seconds: string;
    if (last.includes('z')) {
      const [before, after] = [last.slice(0, last.indexOf('z')), last.slice(last.indexOf('z') + 1)];
      if (after !== '') return false;
      seconds = before;
    } else if (last.includes('+')) {
      seconds = last.slice(0, last.indexOf('+'));
      const zone = last.slice(last.indexOf('+') + 1).split(':');
      if ((zone[0] ?? '').length !== 2 || !intIn(zone[0], 0, 23)) return false;
      if (zone.length > 1 && ((zone[1] ?? '').length !== 2 || !intIn(zone[1], 0, 59))) return false;
    } else {
      seconds = last;
    }
    const dot = seconds.indexOf('.');
    if (!intIn(dot < 0 ? seconds : seconds.slice(0, dot), 0, 59)) return false;
    if (dot >= 0 && !intIn(seconds.slice(dot + 1), 0, 999999999)) return false;
  }
  return true;
}

/** The first resource format error IAM reports (moto's recorded texts), or undefined. */
function resourceFormatError(resource: string): string | undefined {
  if (resource === '*') return undefined;
  const first = resource.indexOf(':');
  if (first < 0) return `Resource ${resource} must be in ARN format or "*".`;
  const afterArn = resource.slice(first + 1);
  const second = afterArn.indexOf(':');
  const partition = second < 0 ? afterArn : afterArn.slice(0, second);
  if (!PARTITIONS.has(partition)) {
    const remaining = second < 0 ? [''] : afterArn.slice(second + 1).split(':');
    const a1 = (remaining[0] ?? '') !== '' || remaining.length > 1 ? (remaining[0] ?? '') : '*';
    const a2 = remaining.length > 1 ? (remaining[1] ?? '') : '*';
    const a3 = remaining.length > 2 ? (remaining[2] ?? '') : '*';
    const a4 = remaining.length > 3 ? remaining.slice(3).join(':') : '*';
    return `Partition "${partition}" is not valid for resource "arn:${partition}:${a1}:${a2}:${a3}:${a4}".`;
  }
  if (second < 0) return 'Resource vendor must be fully qualified and cannot contain regexes.';
  const parts = afterArn.slice(second + 1).split(':');
  const service = parts[0] ?? '';
  const region = parts[1] ?? '';
  const resourcePath = parts.slice(3).join(':');
  if (service === 'iam' && region !== '') return `IAM resource ${resource} cannot contain region information.`;
  if (service === 's3' && region !== '' && !resourcePath.startsWith('accesspoint/')) {
    return `Resource ${resource} can not contain region information.`;
  }
  if (service === 'iam' && parts.length >= 4 && resourcePath !== 'root' && resourcePath !== '*') {
    if (!IAM_RESOURCE_PREFIXES.some((p) => resourcePath.startsWith(p)) && !resourcePath.startsWith('${')) {
      return `IAM resource path must either be "*", root, or start with ${IAM_RESOURCE_PREFIXES.join(', ')}.`;
    }
  }
  return undefined;
}

function validateAction(action: string): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) fail('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (parts.length > 2) fail('Actions/Condition can contain only one colon.');
  const vendor = parts[0] as string;
  if (vendor !== '*' && /[^a-zA-Z0-9\-.]/.test(vendor)) fail(`Vendor ${vendor} is not valid`);
}

const ACCOUNT_ID = /^\d{12}$/;
const AWS_PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(?:iam::\d{12}:(?:root|user\/[\w+=,.@\/-]+|role\/[\w+=,.@\/-]+)|sts::\d{12}:(?:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+))$/;
/** Unique ids IAM shows for principals it resolved and later lost (AIDA… users, AROA… roles). */
const UNIQUE_ID = /^A(?:IDA|ROA)[A-Z0-9]{12,}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;

function invalidPrincipal(key: PrincipalBlockKey, value: string): never {
  fail(`Invalid principal in policy: "${key.toUpperCase()}":"${value}"`);
}

function validatePrincipal(principal: PrincipalDocument, options: ParsePolicyOptions): void {
  if (principal === '*') return;
  for (const value of principal.AWS ?? []) {
    if (value === '*') continue;
    if (!ACCOUNT_ID.test(value) && !AWS_PRINCIPAL_ARN.test(value) && !UNIQUE_ID.test(value)) invalidPrincipal('AWS', value);
    if (options.principalExists !== undefined && !options.principalExists(value)) invalidPrincipal('AWS', value);
  }
  for (const value of principal.Service ?? []) {
    if (value !== '*' && !SERVICE_PRINCIPAL.test(value)) invalidPrincipal('Service', value);
  }
  for (const value of principal.Federated ?? []) {
    if (value === '' || value.includes('*')) invalidPrincipal('Federated', value);
  }
  for (const value of principal.CanonicalUser ?? []) {
    if (!/^[0-9a-f]{64}$/.test(value)) invalidPrincipal('CanonicalUser', value);
  }
}

function toStatementDocument(s: RawStatement): StatementDocument {
  return {
    ...(s.Sid !== undefined ? { Sid: s.Sid } : {}),
    Effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
    ...(s.Principal !== undefined ? { Principal: s.Principal } : {}),
    ...(s.NotPrincipal !== undefined ? { NotPrincipal: s.NotPrincipal } : {}),
    ...(s.Action !== undefined ? { Action: s.Action } : {}),
    ...(s.NotAction !== undefined ? { NotAction: s.NotAction } : {}),
    ...(s.Resource !== undefined ? { Resource: s.Resource } : {}),
    ...(s.NotResource !== undefined ? { NotResource: s.NotResource } : {}),
    ...(s.Condition !== undefined ? { Condition: s.Condition } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

const ROOT_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

function compilePrincipals(principal: PrincipalDocument): CompiledPrincipals {
  if (principal === '*') {
    return {
      everyone: true,
      anyAws: true,
      accounts: new Set(),
      arns: new Set(),
      services: new Set(),
      federated: new Set(),
      canonicalUsers: new Set(),
    };
  }
  const accounts = new Set<string>();
  const arns = new Set<string>();
  let anyAws = false;
  for (const value of principal.AWS ?? []) {
    if (value === '*') anyAws = true;
    else if (ACCOUNT_ID.test(value)) accounts.add(value);
    else {
      const root = ROOT_ARN.exec(value);
      if (root !== null) accounts.add(root[1] as string);
      else arns.add(value);
    }
  }
  return {
    everyone: false,
    anyAws,
    accounts,
    arns,
    services: new Set((principal.Service ?? []).map((s) => s.toLowerCase())),
    federated: new Set(principal.Federated ?? []),
    canonicalUsers: new Set(principal.CanonicalUser ?? []),
  };
}

function compileStatement(s: StatementDocument, index: number, version: PolicyLanguageVersion): CompiledStatement {
  const variables = version === '2012-10-17';
  const actionList = s.Action ?? s.NotAction ?? [];
  const resourceList = s.Resource ?? s.NotResource;
  const principal = s.Principal ?? s.NotPrincipal;
  const conditions: CompiledCondition[] = [];
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    const parts = splitOperator(operator);
    if (parts === undefined) continue; // only possible with an empty block
    for (const [key, values] of Object.entries(block)) {
      conditions.push(compileCondition(operator, parts, key, values, variables));
    }
  }
  return {
    index,
    sid: s.Sid,
    effect: s.Effect,
    actions: compilePatternSet(actionList, { wildcards: true, variables: false, caseInsensitive: true }),
    notAction: s.NotAction !== undefined,
    resources:
      resourceList === undefined
        ? null
        : compilePatternSet(resourceList, { wildcards: true, variables, caseInsensitive: false }),
    notResource: s.NotResource !== undefined,
    principals: principal === undefined ? null : compilePrincipals(principal),
    notPrincipal: s.NotPrincipal !== undefined,
    conditions,
  };
}

function compileCondition(
  operator: string,
  parts: OperatorParts,
  key: string,
  values: readonly string[],
  variables: boolean,
): CompiledCondition {
  const base = {
    operator,
    base: parts.base,
    family: parts.family,
    key: key.toLowerCase(),
    qualifier: parts.qualifier,
    ifExists: parts.ifExists,
    negated: parts.negated,
    comparator: comparatorOf(parts.base),
    caseInsensitive: parts.base.endsWith('IgnoreCase'),
  };
  switch (parts.family) {
    case 'string': {
      const like = parts.base === 'StringLike' || parts.base === 'StringNotLike';
      const caseInsensitive = parts.base.endsWith('IgnoreCase');
      return { ...base, strings: compilePatternSet(values, { wildcards: like, variables, caseInsensitive }) };
    }
    case 'numeric':
      return { ...base, numbers: values.map(parseNumber) };
    case 'date':
      return { ...base, dates: values.map(parseDateText) };
    case 'bool':
      return { ...base, bools: values.map((v) => v.toLowerCase()) };
    case 'binary':
      return { ...base, binaries: [...values] };
    case 'ip':
      return { ...base, cidrs: values.map(parseCidr).filter((c): c is CidrRange => c !== undefined) };
    case 'arn':
      return {
        ...base,
        arns: values.map((v) => splitArn(v).map((part) => compilePattern(part, { wildcards: true, variables, caseInsensitive: false }))),
      };
    case 'null':
      return { ...base, nulls: values.map((v) => v.toLowerCase() === 'true') };
  }
}

function comparatorOf(base: string): Comparator {
  if (base.endsWith('LessThanEquals')) return 'le';
  if (base.endsWith('LessThan')) return 'lt';
  if (base.endsWith('GreaterThanEquals')) return 'ge';
  if (base.endsWith('GreaterThan')) return 'gt';
  return 'eq';
}

// ---------------------------------------------------------------------------------------------
// Value parsers shared with evaluate.ts
// ---------------------------------------------------------------------------------------------

export function parseNumber(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

/**
 * ISO 8601 (date, date-time, with or without zone) or epoch seconds → epoch milliseconds; NaN otherwise.
 * Source: "Date condition operators … values in one of the supported W3C implementations of the
 * ISO 8601 date formats … or in epoch (UNIX) time" (condition operators reference).
 */
export function parseDateText(text: string): number {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return Date.parse(`${trimmed}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(trimmed)) return Date.parse(`${trimmed}Z`);
  return Date.parse(trimmed);
}

/** Splits an ARN into its six parts (the sixth keeps any further colons); fewer parts stay fewer. */
export function splitArn(arn: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = arn.indexOf(':', start);
    if (colon < 0) break;
    parts.push(arn.slice(start, colon));
    start = colon + 1;
  }
  parts.push(arn.slice(start));
  return parts;
}

export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

/** Eight 16-bit words, or undefined. Accepts `::` compression and a trailing dotted IPv4 part. */
export function parseIpv6(text: string): number[] | undefined {
  let head = text;
  const zone = head.indexOf('%');
  if (zone >= 0) head = head.slice(0, zone);
  const lastColon = head.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const tail: number[] = [];
  const last = head.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    head = head.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const doubleColon = head.indexOf('::');
  let words: number[];
  if (doubleColon >= 0) {
    if (head.indexOf('::', doubleColon + 1) >= 0) return undefined;
    const left = parseGroups(head.slice(0, doubleColon));
    const right = parseGroups(head.slice(doubleColon + 2));
    if (left === undefined || right === undefined) return undefined;
    const fill = 8 - tail.length - left.length - right.length;
    if (fill < 1) return undefined;
    words = [...left, ...new Array<number>(fill).fill(0), ...right, ...tail];
  } else {
    const all = parseGroups(head);
    if (all === undefined) return undefined;
    words = [...all, ...tail];
  }
  return words.length === 8 ? words : undefined;
}

/** `203.0.113.0/24`, `2001:DB8:1234:5678::/64`, or a bare address (/32, /128). */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1).trim();
  if (address.includes(':')) {
    const words = parseIpv6(address);
    if (words === undefined) return undefined;
    const prefix = prefixText === undefined ? 128 : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128 || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
    return { v6: true, words, prefix };
  }
  const value = parseIpv4(address);
  if (value === undefined) return undefined;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32 || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
  return { v6: false, words: [value], prefix };
}
