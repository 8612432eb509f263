import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecyclePolicyError, parseLifecyclePolicy, type LifecyclePolicyViolation } from './policy.js';

const rule = (over: Record<string, unknown> = {}, selection: Record<string, unknown> = {}, action: Record<string, unknown> = { type: 'expire' }) => ({
  rulePriority: 1,
  selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1, ...selection },
  action,
  ...over,
});
const text = (...rules: unknown[]) => JSON.stringify({ rules });

function refused(policy: string): LifecyclePolicyViolation {
  try {
    parseLifecyclePolicy(policy);
  } catch (e) {
    if (e instanceof LifecyclePolicyError) return e.violation;
    throw e;
  }
  assert.fail(`accepted: ${policy}`);
}

describe('parseLifecyclePolicy', () => {
  it('accepts every example of the user guide', () => {
    // given: "Examples of lifecycle policies in Amazon ECR"
    const examples = [
      text({ rulePriority: 1, description: 'Expire images older than 14 days', selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } }),
      text({ rulePriority: 1, description: 'Keep only one untagged image', selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }),
      text(
        { rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      ),
      text({ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'sinceImagePushed', countNumber: 5, countUnit: 'days' }, action: { type: 'expire' } }),
      text(
        { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1000 }, action: { type: 'expire' } },
      ),
      text(
        { rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, action: { type: 'transition', targetStorageClass: 'archive' } },
        { rulePriority: 2, selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 }, action: { type: 'expire' } },
      ),
      text({ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['*test*1*2*3', 'test*1*2*3*'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }),
    ];
    for (const example of examples) {
      // when
      const policy = parseLifecyclePolicy(example);
      // then
      assert.ok(policy.rules.length > 0, example);
    }
  });

  it('orders rules by priority and defaults storageClass to standard', () => {
    // when
    const policy = parseLifecyclePolicy(text(rule({ rulePriority: 9 }, { tagStatus: 'any' }), rule({ rulePriority: 3 }, { tagStatus: 'untagged' })));
    // then
    assert.deepEqual(policy.rules.map((r) => r.rulePriority), [3, 9]);
    assert.equal(policy.rules[0]!.selection.storageClass, 'standard');
  });

  it('refuses what the schema refuses, with the validator’s reason', () => {
    const cases: [string, LifecyclePolicyViolation][] = [
      ['not json', { kind: 'unreadable' }],
      ['[]', { kind: 'unreadable' }],
      ['{"no_rules":1}', { kind: 'missing-properties', names: ['rules'] }],
      ['{"rules":{}}', { kind: 'missing-properties', names: ['rules'] }],
      ['{"rules":[]}', { kind: 'too-few-items', minimum: 1, found: 0 }],
      [JSON.stringify({ rules: [rule()], extra: 1 }), { kind: 'unknown-properties', names: ['extra'] }],
      [text('rule'), { kind: 'wrong-type', found: 'string', allowed: 'object' }],
      [text({ selection: rule().selection }), { kind: 'missing-properties', names: ['action', 'rulePriority'] }],
      [text(rule({ unknown: 1 })), { kind: 'unknown-properties', names: ['unknown'] }],
      [text(rule({ rulePriority: '1' })), { kind: 'wrong-type', found: 'string', allowed: 'integer' }],
      [text(rule({ rulePriority: 0 })), { kind: 'below-minimum', minimum: 1, found: 0 }],
      [text(rule({ description: 5 })), { kind: 'wrong-type', found: 'integer', allowed: 'string' }],
      [text(rule({}, { tagStatus: 'unknown' })), { kind: 'not-in-enum', value: 'unknown', allowed: ['tagged', 'untagged', 'any'] }],
      [text(rule({}, { countNumber: 0 })), { kind: 'below-minimum', minimum: 1, found: 0 }],
      [text(rule({}, { countNumber: -1 })), { kind: 'below-minimum', minimum: 1, found: -1 }],
      [text(rule({}, { countNumber: 1.5 })), { kind: 'wrong-type', found: 'number', allowed: 'integer' }],
      [text(rule({}, { countType: 'unknown' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { countUnit: 'days' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { countType: 'sinceImagePushed' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { countType: 'sinceImagePulled', countUnit: 'hours' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { countType: 'sinceImageTransitioned', countUnit: 'days' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { storageClass: 'archive' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, { storageClass: 'glacier' })), { kind: 'no-schema-matched', schemas: 4 }],
      [text(rule({}, {}, {})), { kind: 'missing-properties', names: ['type'] }],
      [text(rule({}, {}, { type: 'keep' })), { kind: 'no-schema-matched', schemas: 2 }],
      [text(rule({}, {}, { type: 'expire', targetStorageClass: null })), { kind: 'no-schema-matched', schemas: 2 }],
      [text(rule({}, {}, { type: 'transition' })), { kind: 'no-schema-matched', schemas: 2 }],
      [text(rule({}, {}, { type: 'transition', targetStorageClass: 'standard' })), { kind: 'no-schema-matched', schemas: 2 }],
      [text(rule({}, {}, { type: 'expire', unknown: 1 })), { kind: 'unknown-properties', names: ['unknown'] }],
      [text(rule({}, { tagStatus: 'tagged', tagPrefixList: 'prod' })), { kind: 'wrong-type', found: 'string', allowed: 'array' }],
      [text(rule({}, { tagStatus: 'tagged', tagPrefixList: [] })), { kind: 'too-few-items', minimum: 1, found: 0 }],
    ];
    for (const [policy, violation] of cases) assert.deepEqual(refused(policy), violation, policy);
  });

  it('refuses what the rules across a policy refuse', () => {
    const cases: [string, LifecyclePolicyViolation][] = [
      [text(rule({}, { tagStatus: 'tagged' })), { kind: 'tagged-without-tag-list' }],
      [text(rule({}, { tagPrefixList: ['v'] })), { kind: 'tag-list-without-tagged' }],
      [text(rule({}, { tagStatus: 'any', tagPatternList: ['v*'] })), { kind: 'tag-list-without-tagged' }],
      [text(rule({}, { tagStatus: 'tagged', tagPrefixList: ['v'], tagPatternList: ['v*'] })), { kind: 'both-tag-lists' }],
      [text(rule({}, { tagStatus: 'tagged', tagPatternList: ['test*1*2*3*4*5*6'] })), { kind: 'too-many-wildcards', pattern: 'test*1*2*3*4*5*6' }],
      [text(rule(), rule({}, { tagStatus: 'any' })), { kind: 'duplicate-priority', priority: 1 }],
      [text(rule(), rule({ rulePriority: 2 })), { kind: 'untagged-twice' }],
      [text(rule({ rulePriority: 1 }, { tagStatus: 'any' }), rule({ rulePriority: 2 })), { kind: 'any-not-last' }],
      [text(rule({ rulePriority: 1 }, { tagStatus: 'any' }), rule({ rulePriority: 2 }, { tagStatus: 'any' })), { kind: 'any-not-last' }],
      [
        text(rule({}, { storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days' }, { type: 'transition', targetStorageClass: 'archive' })),
        { kind: 'transition-of-archived' },
      ],
    ];
    for (const [policy, violation] of cases) assert.deepEqual(refused(policy), violation, policy);
  });

  it('checks the any-last and one-untagged rules per storage class', () => {
    // given: an `any` rule of the standard class before an archive rule, and one untagged rule per class
    const policy = text(
      rule({ rulePriority: 1 }, { tagStatus: 'untagged' }),
      rule({ rulePriority: 2 }, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days' }, { type: 'transition', targetStorageClass: 'archive' }),
      rule({ rulePriority: 3 }, { tagStatus: 'untagged', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days' }),
    );
    // when / then
    assert.equal(parseLifecyclePolicy(policy).rules.length, 3);
  });
});
