import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostName, makeHostPolicy } from './hosts.js';

describe('host policy', () => {
  const policy = makeHostPolicy({ registryDomain: 'localhost', bindHost: '127.0.0.1', allowedHosts: ['simfra.internal', '*.corp.example'] });

  it('answers localhost, loopback addresses and registry hosts, whatever the port', () => {
    for (const h of ['localhost', 'localhost:4599', 'LOCALHOST.', '127.0.0.1:4599', '127.1.2.3', '[::1]:4599', '[::1]', '000000000000.dkr.ecr.us-east-1.localhost:4599', undefined]) {
      assert.equal(policy(h), true, String(h));
    }
  });

  it('answers configured names and subdomains of a configured suffix', () => {
    assert.equal(policy('simfra.internal:4599'), true);
    assert.equal(policy('ci.corp.example'), true);
    assert.equal(policy('corp.example.attacker.example'), false);
  });

  it('refuses any other name, such as a rebinding attacker’s', () => {
    for (const h of ['attacker.example', 'attacker.example:4599', 'localhost.attacker.example', '10.0.0.5', '[::2]', 'dkr.ecr.us-east-1.localhost.evil']) {
      assert.equal(policy(h), false, h);
    }
  });

  it('answers the registry pattern of another domain, and the bind address when it is specific', () => {
    const p = makeHostPolicy({ registryDomain: 'simfra.test', bindHost: '192.168.7.9', allowedHosts: [] });
    assert.equal(p('111122223333.dkr.ecr.eu-west-1.simfra.test:4599'), true);
    assert.equal(p('192.168.7.9:4599'), true);
    assert.equal(p('simfra.test'), false);
  });

  it('answers any host with `*`', () => {
    assert.equal(makeHostPolicy({ registryDomain: 'localhost', bindHost: '127.0.0.1', allowedHosts: ['*'] })('anything.example'), true);
  });

  it('takes the name out of a Host header', () => {
    assert.equal(hostName('Example.COM:80'), 'example.com');
    assert.equal(hostName('[::1]:4599'), '::1');
    assert.equal(hostName('::1'), '::1');
  });
});
