import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config.js';
import { banner } from './banner.js';

describe('banner', () => {
  it('tells the endpoint, the credentials to export, the hosts line and the docker login', () => {
    // given
    const config = loadConfig({ SIMFRA_DEFAULT_REGION: 'eu-west-1', SIMFRA_DEFAULT_ACCOUNT_ID: '123456789012' });
    // when
    const text = banner(config, { url: 'http://localhost:4599', port: 4599, version: '0.1.0' });
    // then
    assert.ok(text.includes('at http://localhost:4599\n'));
    assert.ok(text.includes('  export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n'));
    assert.ok(text.includes('  export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n'));
    assert.ok(text.includes('  export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1\n'));
    assert.ok(text.includes('  export AWS_ENDPOINT_URL=http://localhost:4599\n'));
    assert.ok(text.includes("  echo '127.0.0.1 123456789012.dkr.ecr.eu-west-1.localhost' >> /etc/hosts\n"));
    assert.ok(text.includes('docker login -u AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.localhost:4599\n'));
    assert.ok(text.includes('state     in memory'));
  });

  it('never prints a configured secret key, and points the hosts line at a specific bind address', () => {
    // given
    const config = loadConfig({ SIMFRA_ROOT_SECRET_ACCESS_KEY: 'my-own-secret-key-0123', SIMFRA_HOST: '10.1.2.3', SIMFRA_DATA_DIR: '/var/simfra' });
    // when
    const text = banner(config, { url: 'http://10.1.2.3:4599', port: 4599, version: '0.1.0' });
    // then
    assert.ok(!text.includes('my-own-secret-key-0123'));
    assert.ok(text.includes('export AWS_SECRET_ACCESS_KEY="$SIMFRA_ROOT_SECRET_ACCESS_KEY"\n'));
    assert.ok(text.includes("echo '10.1.2.3 000000000000.dkr.ecr.us-east-1.localhost' >> /etc/hosts"));
    assert.ok(text.includes('state     persistent in /var/simfra'));
  });
});
