import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('config: safe defaults', () => {
  it('binds loopback unless SIMFRA_HOST says otherwise', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ SIMFRA_HOST: '0.0.0.0' }).host, '0.0.0.0');
  });

  it('reads SIMFRA_ALLOWED_HOSTS as a comma-separated list and refuses what is not a host pattern', () => {
    assert.deepEqual(loadConfig({}).allowedHosts, []);
    assert.deepEqual(loadConfig({ SIMFRA_ALLOWED_HOSTS: ' simfra.internal, *.corp.example ,.lan,*' }).allowedHosts, [
      'simfra.internal',
      '*.corp.example',
      '.lan',
      '*',
    ]);
    assert.throws(() => loadConfig({ SIMFRA_ALLOWED_HOSTS: 'http://x.example/' }), ConfigError);
  });

  it('refuses a SIMFRA_PERSISTENCE_KEY shorter than 16 characters', () => {
    assert.throws(() => loadConfig({ SIMFRA_PERSISTENCE_KEY: 'fifteen chars!!' }), {
      name: 'Error',
      message: 'SIMFRA_PERSISTENCE_KEY must be at least 16 characters (it was 15); use a long random value, e.g. from `openssl rand -base64 32`',
    });
    assert.equal(loadConfig({ SIMFRA_PERSISTENCE_KEY: 'sixteen chars!!!' }).persistenceKey, 'sixteen chars!!!');
  });
});
