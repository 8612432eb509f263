import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuUnits, fargateFits, memoryMib, paginate } from './control.js';
import { parseEcsArn } from './records.js';

describe('ECS task sizes', () => {
  it('reads cpu in units or vCPU and memory in MiB or GB', () => {
    assert.equal(cpuUnits('256'), 256);
    assert.equal(cpuUnits('1 vCPU'), 1024);
    assert.equal(cpuUnits('0.25 vcpu'), 256);
    assert.equal(cpuUnits('lots'), undefined);
    assert.equal(memoryMib('512'), 512);
    assert.equal(memoryMib('2 GB'), 2048);
    assert.equal(memoryMib('2GiB'), 2048);
    assert.equal(memoryMib('two'), undefined);
  });

  it('accepts exactly the Fargate cpu/memory combinations of the ECS guide', () => {
    assert.ok(fargateFits(256, 512) && fargateFits(256, 2048));
    assert.ok(!fargateFits(256, 3072));
    assert.ok(fargateFits(512, 4096) && !fargateFits(512, 512));
    assert.ok(fargateFits(1024, 8192) && !fargateFits(1024, 1024));
    assert.ok(fargateFits(4096, 30720) && !fargateFits(4096, 31744));
    assert.ok(fargateFits(8192, 20480) && !fargateFits(8192, 17408));
    assert.ok(fargateFits(16384, 122880) && !fargateFits(16384, 36864));
    assert.ok(!fargateFits(128, 512));
  });
});

describe('ECS names', () => {
  it('parses ECS ARNs and pages lists with an opaque token', () => {
    assert.deepEqual(parseEcsArn('arn:aws:ecs:us-east-1:000000000000:task/default/abc'), { region: 'us-east-1', accountId: '000000000000', type: 'task', rest: 'default/abc' });
    assert.equal(parseEcsArn('default'), undefined);
    const first = paginate([1, 2, 3], undefined, 2);
    assert.deepEqual(first.page, [1, 2]);
    assert.deepEqual(paginate([1, 2, 3], first.nextToken, 2), { page: [3] });
  });
});
