import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchTemplate, prefixCovers } from './creation-templates.js';

describe('repository creation template matching', () => {
  it('covers names under the prefix with an assumed trailing slash; ROOT covers all', () => {
    assert.equal(prefixCovers('prod', 'prod/app'), true);
    assert.equal(prefixCovers('prod/', 'prod/app'), true);
    assert.equal(prefixCovers('prod', 'production'), false);
    assert.equal(prefixCovers('prod', 'prod'), false);
    assert.equal(prefixCovers('ROOT', 'anything/at/all'), true);
  });

  it('picks the longest matching prefix among the templates for the scenario, else ROOT', () => {
    // given
    const templates = [
      { prefix: 'ROOT', appliedFor: ['CREATE_ON_PUSH'] },
      { prefix: 'team', appliedFor: ['CREATE_ON_PUSH', 'REPLICATION'] },
      { prefix: 'team/web', appliedFor: ['CREATE_ON_PUSH'] },
      { prefix: 'team/web/cache', appliedFor: ['PULL_THROUGH_CACHE'] },
    ];
    // when / then
    assert.equal(matchTemplate(templates, 'team/web/app', 'CREATE_ON_PUSH')?.prefix, 'team/web');
    assert.equal(matchTemplate(templates, 'team/web/cache/x', 'CREATE_ON_PUSH')?.prefix, 'team/web');
    assert.equal(matchTemplate(templates, 'team/web/cache/x', 'PULL_THROUGH_CACHE')?.prefix, 'team/web/cache');
    assert.equal(matchTemplate(templates, 'team/api', 'REPLICATION')?.prefix, 'team');
    assert.equal(matchTemplate(templates, 'other/app', 'CREATE_ON_PUSH')?.prefix, 'ROOT');
    assert.equal(matchTemplate(templates, 'other/app', 'REPLICATION'), undefined);
  });
});
