import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ecrUpstreamOf, matchRule, ruleCovers, upstreamNameOf } from './pull-through-cache.js';
import { upstreamEnvName, upstreamUrl } from '../../upstream/upstream-urls.js';

describe('pull-through cache rules: matching and names', () => {
  it('covers names under the prefix (an assumed / at its end), ROOT everything', () => {
    assert.equal(ruleCovers('ecr-public', 'ecr-public/nginx'), true);
    assert.equal(ruleCovers('ecr-public/', 'ecr-public/nginx'), true);
    assert.equal(ruleCovers('ecr-public', 'ecr-publicx/nginx'), false);
    assert.equal(ruleCovers('ecr-public', 'ecr-public'), false);
    assert.equal(ruleCovers('ROOT', 'anything'), true);
  });

  it('takes the longest prefix, then ROOT', () => {
    const rules = [{ prefix: 'ROOT' }, { prefix: 'hub' }, { prefix: 'hub/team' }];
    assert.equal(matchRule(rules, 'hub/team/app')?.prefix, 'hub/team');
    assert.equal(matchRule(rules, 'hub/app')?.prefix, 'hub');
    assert.equal(matchRule(rules, 'other/app')?.prefix, 'ROOT');
    assert.equal(matchRule([{ prefix: 'hub' }], 'other/app'), undefined);
  });

  it('maps cache names to upstream names as the user guide’s table does', () => {
    // — source: ECR user guide, "Customizing repository prefixes for ECR to ECR pull through cache"
    assert.equal(upstreamNameOf({ prefix: 'ecr-public' }, 'ecr-public/my-app/image1'), 'my-app/image1');
    assert.equal(upstreamNameOf({ prefix: 'ROOT', upstreamRepositoryPrefix: 'ROOT' }, 'my-app/image1'), 'my-app/image1');
    assert.equal(upstreamNameOf({ prefix: 'team-a', upstreamRepositoryPrefix: 'team-a' }, 'team-a/myapp/image1'), 'team-a/myapp/image1');
    assert.equal(upstreamNameOf({ prefix: 'my-app', upstreamRepositoryPrefix: 'upstream-app' }, 'my-app/image1'), 'upstream-app/image1');
    assert.equal(upstreamNameOf({ prefix: 'hub' }, 'hub/library/alpine'), 'library/alpine');
  });

  it('reads the account and region of an ECR upstream URL, and the override names', () => {
    assert.deepEqual(ecrUpstreamOf('111122223333.dkr.ecr.eu-west-1.amazonaws.com'), { accountId: '111122223333', region: 'eu-west-1' });
    assert.equal(ecrUpstreamOf('public.ecr.aws'), undefined);
    assert.equal(upstreamEnvName('github-container-registry'), 'GITHUB_CONTAINER_REGISTRY');
    assert.equal(upstreamUrl({ DOCKER_HUB: 'http://127.0.0.1:5000' }, 'docker-hub', 'registry-1.docker.io'), 'http://127.0.0.1:5000');
    assert.equal(upstreamUrl({}, 'quay', 'quay.io'), 'https://quay.io');
  });
});
