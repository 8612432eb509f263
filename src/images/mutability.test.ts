import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTagImmutable, wildcardMatch } from './mutability.js';

describe('wildcardMatch', () => {
  it('matches whole strings, * standing for any run of characters', () => {
    assert.equal(wildcardMatch('latest', 'latest'), true);
    assert.equal(wildcardMatch('latest', 'latest2'), false);
    assert.equal(wildcardMatch('dev-*', 'dev-1'), true);
    assert.equal(wildcardMatch('dev-*', 'dev-'), true);
    assert.equal(wildcardMatch('dev-*', 'prod-1'), false);
    assert.equal(wildcardMatch('*-rc', 'v1-rc'), true);
    assert.equal(wildcardMatch('*-rc', 'v1-rc1'), false);
    assert.equal(wildcardMatch('v*.*.*', 'v1.2.3'), true);
    assert.equal(wildcardMatch('v*.*.*', 'v1.2'), false);
    assert.equal(wildcardMatch('*', ''), true);
    assert.equal(wildcardMatch('a*a', 'a'), false);
    assert.equal(wildcardMatch('a*a', 'aa'), true);
    assert.equal(wildcardMatch('*ab*ab*', 'xabyab'), true);
    assert.equal(wildcardMatch('*ab*ab*', 'xaby'), false);
  });
});

describe('isTagImmutable', () => {
  const filters = [{ filterType: 'WILDCARD', filter: 'dev-*' }, { filterType: 'WILDCARD', filter: 'latest' }];
  it('MUTABLE and IMMUTABLE ignore the tag', () => {
    assert.equal(isTagImmutable({ imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [] }, 'v1'), false);
    assert.equal(isTagImmutable({ imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: [] }, 'v1'), true);
  });
  it('IMMUTABLE_WITH_EXCLUSION keeps matching tags mutable', () => {
    const s = { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters };
    assert.equal(isTagImmutable(s, 'dev-42'), false);
    assert.equal(isTagImmutable(s, 'latest'), false);
    assert.equal(isTagImmutable(s, 'v1.0.0'), true);
  });
  it('MUTABLE_WITH_EXCLUSION makes matching tags immutable', () => {
    const s = { imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters };
    assert.equal(isTagImmutable(s, 'dev-42'), true);
    assert.equal(isTagImmutable(s, 'v1.0.0'), false);
  });
});
