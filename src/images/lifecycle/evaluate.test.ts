import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateLifecycle, tagMatcher, wildcardPattern, type LifecycleImage } from './evaluate.js';
import { parseLifecyclePolicy } from './policy.js';

const DAY = 24 * 3600 * 1000;
const NOW = new Date('2026-06-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

const img = (digest: string, pushedDaysAgo: number, tags: string[] = [], extra: Partial<LifecycleImage> = {}): LifecycleImage => ({
  digest,
  tags,
  pushedAt: daysAgo(pushedDaysAgo),
  storageClass: 'STANDARD',
  children: [],
  ...extra,
});
const policy = (...rules: unknown[]) => parseLifecyclePolicy(JSON.stringify({ rules }));
const expire = { type: 'expire' };
const sel = (rulePriority: number, selection: Record<string, unknown>, action: Record<string, unknown> = expire) => ({ rulePriority, selection, action });
const run = (p: ReturnType<typeof policy>, images: LifecycleImage[]) =>
  evaluateLifecycle(p, images, NOW).map((a) => `${a.digest}:${a.type}:${a.rulePriority}${a.withSubject ? `<${a.withSubject}` : ''}`);

describe('evaluateLifecycle', () => {
  it('imageCountMoreThan keeps the newest N of what the rule selects', () => {
    // given: the user guide's "Filtering on image count" (keep one untagged image)
    const p = policy(sel(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }));
    const images = [img('a', 3), img('b', 2), img('c', 1), img('t', 4, ['v1'])];
    // when / then: oldest first, the tagged image untouched
    assert.deepEqual(run(p, images), ['a:EXPIRE:1', 'b:EXPIRE:1']);
  });

  it('sinceImagePushed selects images pushed more than N days ago', () => {
    // given: "Filtering on image age" (prod* older than 14 days)
    const p = policy(sel(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }));
    const images = [img('old', 15, ['prod1']), img('edge', 14, ['prod2']), img('young', 1, ['prod3']), img('dev', 30, ['dev'])];
    // when / then
    assert.deepEqual(run(p, images), ['old:EXPIRE:1']);
  });

  it('multiple rules, example A: an image a higher rule matched is never expired by a lower one', () => {
    // given: the user guide's "Filtering on multiple rules", example A
    const p = policy(
      sel(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      sel(2, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    );
    const images = [img('A', 10, ['beta-1', 'prod-1']), img('B', 9, ['beta-2', 'prod-2']), img('C', 8, ['beta-3'])];
    // when / then: "Image A is expired" (rule 2 would take B, which rule 1 matched and kept)
    assert.deepEqual(run(p, images), ['A:EXPIRE:1']);
  });

  it('multiple rules, example B: each image goes by the first rule that expires it', () => {
    // given: example B — every image carries both tags
    const p = policy(
      sel(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      sel(2, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    );
    const images = [img('A', 10, ['beta-1', 'prod-1']), img('B', 9, ['beta-2', 'prod-2']), img('C', 8, ['beta-3', 'prod-3'])];
    // when / then
    assert.deepEqual(run(p, images), ['A:EXPIRE:1', 'B:EXPIRE:1']);
  });

  it('a list of tags selects only images carrying all of them', () => {
    // given: "Filtering on multiple tags in a single rule" (alpha* and beta*, older than 5 days)
    const p = policy(sel(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 }));
    const images = [img('A', 10, ['alpha-1']), img('B', 9, ['beta-1']), img('C', 8, ['alpha-2', 'beta-2']), img('D', 1, ['alpha-3', 'beta-3'])];
    // when / then
    assert.deepEqual(run(p, images), ['C:EXPIRE:1']);
  });

  it('tagPrefixList: every prefix must start one of the tags', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'v'], countType: 'imageCountMoreThan', countNumber: 1 }));
    const images = [img('a', 5, ['prod', 'v1']), img('b', 4, ['prod-x']), img('c', 3, ['v2', 'production']), img('d', 2)];
    // when / then: a and c match, c is the newest
    assert.deepEqual(run(p, images), ['a:EXPIRE:1']);
  });

  it('an any rule after an untagged rule: lower rules count what higher rules matched but do not act on it', () => {
    // given: "Filtering on all images": untagged older than 14 days, then keep 2 of any
    const p = policy(
      sel(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }),
      sel(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }),
    );
    const images = [img('u-old', 20), img('t1', 10, ['a']), img('u-new', 3), img('t2', 2, ['b']), img('t3', 1, ['c'])];
    // when / then: u-new is matched by rule 1 (not old enough) and only counted by rule 2
    assert.deepEqual(run(p, images), ['u-old:EXPIRE:1', 't1:EXPIRE:2']);
  });

  it('sinceImagePulled counts from the last recorded pull, and from the push when never pulled', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, { type: 'transition', targetStorageClass: 'archive' }));
    const images = [
      img('pulled-lately', 100, ['a'], { lastPulledAt: daysAgo(2) }),
      img('pulled-long-ago', 100, ['b'], { lastPulledAt: daysAgo(40) }),
      img('never-pulled-old', 50, ['c']),
      img('never-pulled-new', 5, ['d']),
    ];
    // when
    const actions = evaluateLifecycle(p, images, NOW);
    // then
    assert.deepEqual(
      actions.map((a) => [a.digest, a.type, a.targetStorageClass]),
      [
        ['pulled-long-ago', 'TRANSITION', 'ARCHIVE'],
        ['never-pulled-old', 'TRANSITION', 'ARCHIVE'],
      ],
    );
  });

  it('a restore counts as use for sinceImagePulled, and a restoring image is left alone', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, { type: 'transition', targetStorageClass: 'archive' }));
    const images = [
      img('restored-lately', 100, ['a'], { lastPulledAt: daysAgo(90), lastActivatedAt: daysAgo(1) }),
      img('restoring', 100, ['b'], { activating: true }),
      img('idle', 100, ['c'], { lastPulledAt: daysAgo(90), lastActivatedAt: daysAgo(60) }),
    ];
    // when / then
    assert.deepEqual(run(p, images), ['idle:TRANSITION:1']);
  });

  it('archived images are seen only by archive rules, counted from their archiving', () => {
    // given
    const p = policy(
      sel(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
      sel(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 }),
    );
    const images = [
      img('arch-old', 400, ['x'], { storageClass: 'ARCHIVE', lastArchivedAt: daysAgo(100) }),
      img('arch-new', 300, ['y'], { storageClass: 'ARCHIVE', lastArchivedAt: daysAgo(10) }),
      img('std-1', 2, ['a']),
      img('std-2', 1, ['b']),
    ];
    // when / then
    assert.deepEqual(run(p, images), ['arch-old:EXPIRE:2', 'std-1:EXPIRE:1']);
  });

  it('does not expire an image an index lists while the index stays', () => {
    // given: an index (tagged, kept) listing two untagged children, and an orphan untagged image
    const p = policy(sel(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }));
    const images = [img('amd64', 10), img('arm64', 10), img('index', 10, ['v1'], { children: ['amd64', 'arm64'] }), img('orphan', 10)];
    // when / then
    assert.deepEqual(run(p, images), ['orphan:EXPIRE:1']);
  });

  it('expires an index before the images it lists when both go', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }));
    const images = [img('child', 10), img('index', 9, ['v1'], { children: ['child'] }), img('outer', 8, ['all'], { children: ['index'] })];
    // when / then: outer index, then the inner one, then the child
    assert.deepEqual(run(p, images), ['outer:EXPIRE:1', 'index:EXPIRE:1', 'child:EXPIRE:1']);
  });

  it('a protected index protects what it lists, transitively', () => {
    // given: the outer index is young; it protects the inner index, which protects the child
    const p = policy(sel(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }));
    const images = [img('child', 10), img('inner', 9, [], { children: ['child'] }), img('outer', 0, [], { children: ['inner'] })];
    // when / then
    assert.deepEqual(run(p, images), []);
  });

  it('referrers are never selected on their own and go with their subject', () => {
    // given: a signed image and its signature's own signature; a live signed image; a dangling referrer
    const p = policy(sel(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }));
    const images = [
      img('old', 10, ['v1']),
      img('sig-old', 9, [], { subject: 'old' }),
      img('sig-sig', 8, [], { subject: 'sig-old' }),
      img('new', 2, ['v2']),
      img('sig-new', 1, [], { subject: 'new' }),
      img('dangling', 0, [], { subject: 'gone' }),
    ];
    // when / then: `dangling` is an ordinary untagged image (the newest, kept); `new` is second newest
    assert.deepEqual(run(p, images), ['old:EXPIRE:1', 'sig-old:EXPIRE:1<old', 'sig-sig:EXPIRE:1<sig-old', 'new:EXPIRE:1', 'sig-new:EXPIRE:1<new']);
  });

  it('a transition does not move an image an index lists while the index stays standard', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, { type: 'transition', targetStorageClass: 'archive' }));
    const images = [img('child', 10), img('index', 0, ['v1'], { children: ['child'] })];
    // when / then
    assert.deepEqual(run(p, images), []);
  });

  it('acts on each image once: the first rule that selects it wins', () => {
    // given: a transition rule first, then an expiry that would select the same images
    const p = policy(
      sel(1, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 1 }, { type: 'transition', targetStorageClass: 'archive' }),
      sel(2, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
    );
    const images = [img('v1', 5, ['v1']), img('v2', 4, ['v2']), img('x', 3, ['x'])];
    // when / then
    assert.deepEqual(run(p, images), ['v1:TRANSITION:1', 'x:EXPIRE:2']);
  });

  it('does not depend on the order images are given in', () => {
    // given
    const p = policy(sel(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }));
    const images = Array.from({ length: 6 }, (_, i) => img(`d${i}`, i % 3, [`t${i}`]));
    // when
    const forward = run(p, images);
    const backward = run(p, [...images].reverse());
    // then
    assert.deepEqual(forward, backward);
    assert.equal(forward.length, 4);
  });
});

describe('tag patterns', () => {
  it('matches whole tags, `*` standing for any run of characters', () => {
    assert.ok(wildcardPattern('prod*').test('prod'));
    assert.ok(wildcardPattern('prod*').test('prod-1'));
    assert.ok(!wildcardPattern('prod*').test('preprod'));
    assert.ok(wildcardPattern('*test*1*2*3').test('my-test-1-2-3'));
    assert.ok(!wildcardPattern('v1.0').test('v1x0'));
    assert.ok(wildcardPattern('*').test('anything'));
  });

  it('untagged rules select untagged images only, any rules everything', () => {
    const untagged = tagMatcher({ selection: { tagStatus: 'untagged', storageClass: 'standard', countType: 'imageCountMoreThan', countNumber: 1 } });
    const any = tagMatcher({ selection: { tagStatus: 'any', storageClass: 'standard', countType: 'imageCountMoreThan', countNumber: 1 } });
    assert.ok(untagged([]) && !untagged(['a']));
    assert.ok(any([]) && any(['a']));
  });
});
