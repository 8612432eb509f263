import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { prettyLine, prettyStream } from './pretty-log.js';

const AT = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();

describe('prettyLine', () => {
  it('shows an AWS request as status, service and operation, time and size', () => {
    // given
    const json = JSON.stringify({ level: 30, time: AT, pid: 1, hostname: 'h', requestId: 'r-1', method: 'POST', path: '/', service: 'ecr', operation: 'CreateRepository', status: 200, ms: 3.21, bytes: '2048', msg: 'request' });
    // when
    const line = prettyLine(json, { color: false });
    // then
    assert.equal(line, '03:04:05.067 200 ecr CreateRepository  3.21 ms  2.0 KiB  r-1\n');
  });

  it('shows a registry request by method and path, and any extra field', () => {
    const json = JSON.stringify({ level: 30, time: AT, requestId: 'r-2', method: 'GET', path: '/v2/app/manifests/latest', service: 'registry', route: 'registry:manifest-get', status: 404, ms: 1, extra: 'a b', msg: 'request' });
    assert.equal(prettyLine(json, { color: false }), '03:04:05.067 404 GET /v2/app/manifests/latest  1 ms extra="a b"  r-2\n');
  });

  it('shows other lines with their level, message and fields, and an error with its stack', () => {
    const json = JSON.stringify({ level: 50, time: AT, msg: 'request failed', requestId: 'r-3', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' } });
    assert.equal(prettyLine(json, { color: false }), '03:04:05.067 ERROR request failed requestId=r-3\n    Error: boom\n        at x (y.ts:1:1)\n');
  });

  it('colours the status only when asked', () => {
    const json = JSON.stringify({ level: 30, time: AT, method: 'GET', path: '/v2/', status: 500, ms: 1, msg: 'request' });
    assert.match(prettyLine(json, { color: true }), /\x1b\[31m500\x1b\[0m/);
    assert.doesNotMatch(prettyLine(json, { color: false }), /\x1b/);
  });

  it('is a pino destination: each log call becomes one readable line at once', () => {
    // given
    const written: string[] = [];
    const log = pino({ level: 'info' }, prettyStream({ write: (s) => written.push(s) }, { color: false }));
    // when
    log.warn({ job: 'upload-purge' }, 'scheduled job failed');
    // then
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^\d\d:\d\d:\d\d\.\d{3} WARN  scheduled job failed job=upload-purge\n$/);
  });
});
