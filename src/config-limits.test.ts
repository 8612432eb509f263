import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('connection and body limits in the config', () => {
  it('defaults to limits on inactivity and headers, none on a request’s total duration', () => {
    // when
    const c = loadConfig({});
    // then
    assert.deepEqual(
      [c.headersTimeoutMs, c.idleTimeoutMs, c.requestTimeoutMs, c.maxConnections, c.maxBufferedBodyBytes],
      [60_000, 120_000, 0, 1000, 256 * 1024 * 1024],
    );
  });

  it('reads each from its SIMFRA_ variable, in seconds and MiB', () => {
    // when
    const c = loadConfig({
      SIMFRA_HEADERS_TIMEOUT_SECONDS: '5',
      SIMFRA_IDLE_TIMEOUT_SECONDS: '30',
      SIMFRA_REQUEST_TIMEOUT_SECONDS: '3600',
      SIMFRA_MAX_CONNECTIONS: '64',
      SIMFRA_MAX_BUFFERED_BODY_MB: '64',
    });
    // then
    assert.deepEqual(
      [c.headersTimeoutMs, c.idleTimeoutMs, c.requestTimeoutMs, c.maxConnections, c.maxBufferedBodyBytes],
      [5_000, 30_000, 3_600_000, 64, 64 * 1024 * 1024],
    );
  });

  it('refuses values that would break the server', () => {
    // when / then
    assert.throws(() => loadConfig({ SIMFRA_MAX_CONNECTIONS: '0' }), ConfigError);
    assert.throws(() => loadConfig({ SIMFRA_IDLE_TIMEOUT_SECONDS: 'soon' }), ConfigError);
    // a body budget smaller than one UploadLayerPart could never admit one
    assert.throws(() => loadConfig({ SIMFRA_MAX_BUFFERED_BODY_MB: '16' }), ConfigError);
    // a request timeout shorter than the header timeout
    assert.throws(() => loadConfig({ SIMFRA_REQUEST_TIMEOUT_SECONDS: '10', SIMFRA_HEADERS_TIMEOUT_SECONDS: '20' }), /SIMFRA_REQUEST_TIMEOUT_SECONDS/);
  });
});
