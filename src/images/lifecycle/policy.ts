/**
 * ECR's lifecycle policy language: parsing and validation (pure). A policy text becomes a
 * `LifecyclePolicy`, or a `LifecyclePolicyViolation` says why ECR would refuse it; the ECR front
 * turns a violation into InvalidParameterException with ECR's words (services/ecr/messages.ts).
 *
 * ECR validates in two steps, and so do we: a JSON schema first (its messages are those of the
 * JSON schema validator ECR runs: "object has missing required properties", "instance failed to
 * match exactly one schema (matched 0 out of 4)", …), then rules across the policy ("Only one rule
 * can select Untagged images per storage class.") — source: ECR user guide, "Lifecycle policy
 * properties"; transcripts quoted in services/ecr/messages.ts.
 */

export type TagStatus = 'tagged' | 'untagged' | 'any';
export type CountType = 'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned';
export type RuleStorageClass = 'standard' | 'archive';

export interface LifecycleSelection {
  tagStatus: TagStatus;
  tagPrefixList?: string[];
  tagPatternList?: string[];
  /** `standard` when the policy leaves it out — source: ECR user guide ("If omitted, standard"). */
  storageClass: RuleStorageClass;
  countType: CountType;
  countUnit?: 'days';
  countNumber: number;
}

export type LifecycleRuleAction = { type: 'expire' } | { type: 'transition'; targetStorageClass: 'archive' };

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: LifecycleSelection;
  action: LifecycleRuleAction;
}

export interface LifecyclePolicy {
  /** In priority order (lowest rulePriority first). */
  rules: LifecycleRule[];
}

/** Why a policy text is refused, by meaning; messages.ts words each kind as ECR does. */
export type LifecyclePolicyViolation =
  | { kind: 'unreadable' }
  | { kind: 'missing-properties'; names: string[] }
  | { kind: 'unknown-properties'; names: string[] }
  | { kind: 'wrong-type'; found: string; allowed: string }
  | { kind: 'not-in-enum'; value: unknown; allowed: readonly string[] }
  | { kind: 'below-minimum'; minimum: number; found: number }
  | { kind: 'too-few-items'; minimum: number; found: number }
  | { kind: 'no-schema-matched'; schemas: number }
  | { kind: 'tagged-without-tag-list' }
  | { kind: 'tag-list-without-tagged' }
  | { kind: 'both-tag-lists' }
  | { kind: 'too-many-wildcards'; pattern: string }
  | { kind: 'duplicate-priority'; priority: number }
  | { kind: 'untagged-twice' }
  | { kind: 'any-not-last' }
  | { kind: 'transition-of-archived' };

export class LifecyclePolicyError extends Error {
  constructor(readonly violation: LifecyclePolicyViolation) {
    super(`invalid lifecycle policy: ${JSON.stringify(violation)}`);
    this.name = 'LifecyclePolicyError';
  }
}

/** At most four `*` per tagPatternList entry — source: ECR user guide, "Tag pattern list". */
export const MAX_WILDCARDS = 4;

const TAG_STATUSES = ['tagged', 'untagged', 'any'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const fail = (v: LifecyclePolicyViolation): never => {
  throw new LifecyclePolicyError(v);
};

/** The JSON schema validator's name of a value's type. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : 'object';
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(v: unknown): Record<string, Json> {
  if (!isObject(v)) return fail({ kind: 'wrong-type', found: typeName(v), allowed: 'object' });
  return v;
}

function checkProperties(o: Record<string, Json>, required: readonly string[], allowed: readonly string[]): void {
  const missing = required.filter((k) => !(k in o));
  if (missing.length > 0) fail({ kind: 'missing-properties', names: missing.sort() });
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) fail({ kind: 'unknown-properties', names: unknown.sort() });
}

function integer(v: Json, minimum: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) return fail({ kind: 'wrong-type', found: typeName(v), allowed: 'integer' });
  if (v < minimum) fail({ kind: 'below-minimum', minimum, found: v });
  return v;
}

function stringList(v: Json): string[] {
  if (!Array.isArray(v)) return fail({ kind: 'wrong-type', found: typeName(v), allowed: 'array' });
  if (v.length < 1) fail({ kind: 'too-few-items', minimum: 1, found: 0 });
  return v.map((s) => (typeof s === 'string' ? s : fail({ kind: 'wrong-type', found: typeName(s), allowed: 'string' })));
}

/**
 * The count part of a selection is one of four shapes, one per countType (the schema's oneOf):
 * imageCountMoreThan takes no countUnit; the three `since…` types need `countUnit: days`;
 * sinceImageTransitioned selects `storageClass: archive` and the others `standard` — source: ECR
 * user guide, "Lifecycle policy properties" (storageClass, countType, countUnit).
 */
function countShape(sel: Record<string, Json>): Pick<LifecycleSelection, 'countType' | 'countUnit' | 'storageClass'> {
  const { countType, countUnit, storageClass } = sel;
  const standard = storageClass === undefined || storageClass === 'standard';
  switch (countType) {
    case 'imageCountMoreThan':
      if (countUnit === undefined && standard) return { countType, storageClass: 'standard' };
      break;
    case 'sinceImagePushed':
    case 'sinceImagePulled':
      if (countUnit === 'days' && standard) return { countType, countUnit, storageClass: 'standard' };
      break;
    case 'sinceImageTransitioned':
      if (countUnit === 'days' && storageClass === 'archive') return { countType, countUnit, storageClass: 'archive' };
      break;
  }
  return fail({ kind: 'no-schema-matched', schemas: 4 });
}

function selectionOf(v: Json): LifecycleSelection {
  const sel = object(v);
  checkProperties(
    sel,
    ['tagStatus', 'countType', 'countNumber'],
    ['tagStatus', 'tagPrefixList', 'tagPatternList', 'storageClass', 'countType', 'countUnit', 'countNumber'],
  );
  const tagStatus = sel.tagStatus;
  if (!TAG_STATUSES.includes(tagStatus as TagStatus)) fail({ kind: 'not-in-enum', value: tagStatus, allowed: TAG_STATUSES });
  const prefixes = sel.tagPrefixList === undefined ? undefined : stringList(sel.tagPrefixList);
  const patterns = sel.tagPatternList === undefined ? undefined : stringList(sel.tagPatternList);
  const countNumber = integer(sel.countNumber as Json, 1);
  const shape = countShape(sel);
  return {
    tagStatus: tagStatus as TagStatus,
    ...(prefixes !== undefined ? { tagPrefixList: prefixes } : {}),
    ...(patterns !== undefined ? { tagPatternList: patterns } : {}),
    ...shape,
    countNumber,
  };
}

/** The action is one of two shapes: `expire`, or `transition` with `targetStorageClass: archive`. */
function actionOf(v: Json): LifecycleRuleAction {
  const action = object(v);
  checkProperties(action, ['type'], ['type', 'targetStorageClass']);
  if (action.type === 'expire' && !('targetStorageClass' in action)) return { type: 'expire' };
  if (action.type === 'transition' && action.targetStorageClass === 'archive') return { type: 'transition', targetStorageClass: 'archive' };
  return fail({ kind: 'no-schema-matched', schemas: 2 });
}

function ruleOf(v: Json): LifecycleRule {
  const rule = object(v);
  checkProperties(rule, ['rulePriority', 'selection', 'action'], ['rulePriority', 'description', 'selection', 'action']);
  const rulePriority = integer(rule.rulePriority as Json, 1);
  if (rule.description !== undefined && typeof rule.description !== 'string') {
    fail({ kind: 'wrong-type', found: typeName(rule.description), allowed: 'string' });
  }
  const selection = selectionOf(rule.selection as Json);
  const action = actionOf(rule.action as Json);
  return {
    rulePriority,
    ...(typeof rule.description === 'string' ? { description: rule.description } : {}),
    selection,
    action,
  };
}

/** Rules across the policy, and the tag-list rules of each selection. */
function checkRules(rules: readonly LifecycleRule[]): void {
  const priorities = new Set<number>();
  for (const { rulePriority, selection: s, action } of rules) {
    if (priorities.has(rulePriority)) fail({ kind: 'duplicate-priority', priority: rulePriority });
    priorities.add(rulePriority);
    const lists = (s.tagPrefixList !== undefined ? 1 : 0) + (s.tagPatternList !== undefined ? 1 : 0);
    if (s.tagStatus === 'tagged' && lists === 0) fail({ kind: 'tagged-without-tag-list' });
    if (s.tagStatus !== 'tagged' && lists > 0) fail({ kind: 'tag-list-without-tagged' });
    if (lists === 2) fail({ kind: 'both-tag-lists' });
    for (const p of s.tagPatternList ?? []) {
      if ((p.match(/\*/g)?.length ?? 0) > MAX_WILDCARDS) fail({ kind: 'too-many-wildcards', pattern: p });
    }
    if (action.type === 'transition' && s.storageClass === 'archive') fail({ kind: 'transition-of-archived' });
  }
  // Per storage class: one rule at most selects untagged images, and a tagStatus `any` rule
  // comes after every other rule — source: ECR user guide (rulePriority) and the error texts.
  for (const storageClass of ['standard', 'archive'] as const) {
    const ofClass = rules.filter((r) => r.selection.storageClass === storageClass);
    if (ofClass.filter((r) => r.selection.tagStatus === 'untagged').length > 1) fail({ kind: 'untagged-twice' });
    const last = Math.max(...ofClass.map((r) => r.rulePriority));
    if (ofClass.some((r) => r.selection.tagStatus === 'any' && r.rulePriority !== last)) fail({ kind: 'any-not-last' });
  }
}

/** Parses and validates a lifecycle policy text. Throws LifecyclePolicyError. */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return fail({ kind: 'unreadable' });
  }
  if (!isObject(doc)) return fail({ kind: 'unreadable' });
  // A `rules` that is not a list reads as no rules at all — source: moto's validator tests
  // (test_validate_error_extract_rules), which follow ECR's answer.
  if (!Array.isArray(doc.rules)) return fail({ kind: 'missing-properties', names: ['rules'] });
  checkProperties(doc, ['rules'], ['rules']);
  if (doc.rules.length < 1) fail({ kind: 'too-few-items', minimum: 1, found: 0 });
  const rules = doc.rules.map(ruleOf);
  checkRules(rules);
  return { rules: [...rules].sort((a, b) => a.rulePriority - b.rulePriority) };
}
