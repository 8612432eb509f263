import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from './args.js';

describe('parseArgs', () => {
  it('runs with no arguments, and prints help or the version for their flags', () => {
    assert.deepEqual(parseArgs([]), { kind: 'run' });
    assert.deepEqual(parseArgs(['-h']), { kind: 'help' });
    assert.deepEqual(parseArgs(['--help']), { kind: 'help' });
    assert.deepEqual(parseArgs(['--version']), { kind: 'version' });
    assert.deepEqual(parseArgs(['-v', '--help']), { kind: 'help' });
  });

  it('names an unknown flag or a stray argument', () => {
    assert.deepEqual(parseArgs(['--port=5000']), { kind: 'error', message: "unknown option '--port=5000'" });
    assert.deepEqual(parseArgs(['serve']), {
      kind: 'error',
      message: "unexpected argument 'serve' (simfra is configured by SIMFRA_* environment variables)",
    });
  });
});
