import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from './config.js';

describe('loadConfig', () => {
  it('takes every default from the SETTINGS table', () => {
    // when
    const config = loadConfig({});
    // then
    const def = (name: string) => (SETTINGS as readonly { name: string; default?: string }[]).find((s) => s.name === name)?.default;
    assert.equal(String(config.port), def('SIMFRA_PORT'));
    assert.equal(config.host, def('SIMFRA_HOST'));
    assert.equal(config.defaultAccountId, def('SIMFRA_DEFAULT_ACCOUNT_ID'));
    assert.equal(config.rootSecretAccessKey, def('SIMFRA_ROOT_SECRET_ACCESS_KEY'));
    assert.equal(String(config.authTokenTtlSeconds), def('SIMFRA_AUTH_TOKEN_TTL_SECONDS'));
    assert.equal(config.logFormat, def('SIMFRA_LOG_FORMAT'));
    assert.equal(String(config.docker), def('SIMFRA_DOCKER'));
    assert.equal(config.dataDir, undefined);
  });

  it('reads SIMFRA_LOG_FORMAT and NO_COLOR, and refuses an unknown format', () => {
    assert.equal(loadConfig({ SIMFRA_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({ NO_COLOR: '1' }).noColor, true);
    assert.equal(loadConfig({ NO_COLOR: '' }).noColor, false);
    assert.throws(() => loadConfig({ SIMFRA_LOG_FORMAT: 'yaml' }), ConfigError);
  });

  it('treats an empty variable as unset, and refuses an out-of-range number', () => {
    assert.equal(loadConfig({ SIMFRA_PORT: '' }).port, 4599);
    assert.throws(() => loadConfig({ SIMFRA_PORT: '70000' }), /SIMFRA_PORT must be an integer between 0 and 65535, got '70000'/);
  });
});

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

describe('config: pull-through cache upstream overrides', () => {
  it('reads the SIMFRA_ECR_UPSTREAM_<NAME> family from the whole environment and refuses what is not a base URL', () => {
    // when
    const config = loadConfig({ SIMFRA_ECR_UPSTREAM_DOCKER_HUB: 'http://127.0.0.1:5000/', SIMFRA_ECR_UPSTREAM_QUAY: 'https://mirror.example', SIMFRA_ECR_UPSTREAM_K8S: '' });
    // then
    assert.deepEqual(config.ecrUpstreams, { DOCKER_HUB: 'http://127.0.0.1:5000', QUAY: 'https://mirror.example' });
    assert.deepEqual(loadConfig({}).ecrUpstreams, {});
    assert.throws(() => loadConfig({ SIMFRA_ECR_UPSTREAM_QUAY: 'quay.io' }), /SIMFRA_ECR_UPSTREAM_QUAY must be a base URL such as http:\/\/127.0.0.1:5000, got 'quay.io'/);
  });
});
