import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SETTINGS } from '../../src/config.js';
import { spawnServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

const REPO = join(import.meta.dirname, '..', '..');
const HOSTS_LINE = '127.0.0.1 000000000000.dkr.ecr.us-east-1.localhost';

/** `simfra <args>` as a process that is expected to exit by itself. */
function simfra(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: REPO, env: { ...process.env, SIMFRA_HOST: '127.0.0.1', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

/** A port in use: a plain TCP server on loopback. */
async function occupiedPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('simfra command line', () => {
  for (const flag of ['--help', '-h']) {
    it(`${flag} prints usage and every SIMFRA_* variable with its default, and does not start`, async () => {
      // given a port that must stay untouched
      const busy = await occupiedPort();
      try {
        // when
        const { code, stdout, stderr } = await simfra([flag], { SIMFRA_PORT: String(busy.port) });
        // then
        assert.equal(code, 0, stderr);
        assert.equal(stderr, '');
        assert.match(stdout, /^Usage: simfra /);
        for (const s of SETTINGS) {
          const shown = 'default' in s ? `  ${s.name}=${s.default}\n` : `  ${s.name} (unset: `;
          assert.ok(stdout.includes(shown), `--help lacks ${shown.trim()}`);
        }
        assert.doesNotMatch(stdout, /listening/);
      } finally {
        await busy.close();
      }
    });
  }

  it('refuses an unknown flag with exit code 2 and a pointer to --help', async () => {
    // when
    const { code, stdout, stderr } = await simfra(['--prot', '5000']);
    // then
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, "simfra: unknown option '--prot'\nRun 'simfra --help' for usage.\n");
  });

  it('says in one line that the port is busy, and exits 1', async () => {
    // given
    const busy = await occupiedPort();
    try {
      // when
      const { code, stdout, stderr } = await simfra([], { SIMFRA_PORT: String(busy.port) });
      // then
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(
        stderr,
        `simfra: port ${busy.port} is already in use on 127.0.0.1 — set SIMFRA_PORT to a free port (0 = any free port), or stop what is listening there\n`,
      );
    } finally {
      await busy.close();
    }
  });

  it('refuses a bad SIMFRA_LOG_FORMAT with exit code 2', async () => {
    // when
    const { code, stderr } = await simfra([], { SIMFRA_PORT: '0', SIMFRA_LOG_FORMAT: 'yaml' });
    // then
    assert.equal(code, 2);
    assert.equal(stderr, "simfra: SIMFRA_LOG_FORMAT must be one of auto, json, pretty, got 'yaml'\n");
  });
});

describe('start-up banner and log format', () => {
  it('SIMFRA_LOG_FORMAT=pretty prints the banner and readable request lines', async () => {
    // given
    const server = await spawnServer({ SIMFRA_LOG_FORMAT: 'pretty' });
    try {
      // when
      await fetch(`${server.url}/v2/`);
      await waitFor(() => / 401 GET \/v2\/ /.test(server.output()), server.output);
      // then
      const out = server.output();
      assert.match(out, new RegExp(`simfra listening on http://127\\.0\\.0\\.1:${server.port} \\(account 000000000000, region us-east-1, state in memory\\)\n`));
      assert.ok(out.includes(`export AWS_ENDPOINT_URL=${server.url}\n`), out);
      assert.ok(out.includes('export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n'), out);
      assert.ok(out.includes('export AWS_REGION=us-east-1'), out);
      assert.ok(out.includes(`echo '${HOSTS_LINE}' >> /etc/hosts\n`), out);
      assert.ok(out.includes(`docker login -u AWS --password-stdin 000000000000.dkr.ecr.us-east-1.localhost:${server.port}\n`), out);
      const request = out.split('\n').find((l) => / 401 GET \/v2\/ /.test(l));
      assert.ok(request !== undefined);
      assert.throws(() => JSON.parse(request));
      assert.match(request, /^\d\d:\d\d:\d\d\.\d{3} 401 GET \/v2\/ {2}[\d.]+ ms/);
      assert.doesNotMatch(out, /\x1b\[/, 'no colours when stdout is not a terminal');
    } finally {
      await server.stop();
    }
  });

  const envs: Record<string, string>[] = [{}, { SIMFRA_LOG_FORMAT: 'json' }];
  for (const env of envs) {
    it(`${'SIMFRA_LOG_FORMAT' in env ? 'SIMFRA_LOG_FORMAT=json' : 'stdout not a terminal'}: one JSON line per request, no banner`, async () => {
      // given
      const server = await spawnServer(env);
      try {
        // when
        await fetch(`${server.url}/v2/`);
        await waitFor(() => /"msg":"request"/.test(server.output()), server.output);
        // then
        const lines = server.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const request = lines.find((l) => l.msg === 'request');
        assert.equal(request?.method, 'GET');
        assert.equal(request?.path, '/v2/');
        assert.equal(request?.status, 401);
        const started = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('simfra listening'));
        assert.equal(started?.endpoint, server.url);
        assert.ok(!server.output().includes('/etc/hosts'));
      } finally {
        await server.stop();
      }
    });
  }

  it('on a terminal (a pty from `script`), logs are readable, in colour, with the banner', async (t) => {
    if (!(await hasTool('script', '-V'))) return t.skip('script (util-linux) not installed');
    // given simfra under a pseudo-terminal
    const child = spawn('script', ['-qec', `exec ${process.execPath} --import tsx src/main.ts`, '/dev/null'], {
      cwd: REPO,
      env: { ...process.env, SIMFRA_PORT: '0', SIMFRA_HOST: '127.0.0.1', NO_COLOR: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      // when it has started
      await waitFor(() => out.includes('Stop: Ctrl-C.'), () => out);
      // then
      assert.match(out, /simfra listening on http:\/\/127\.0\.0\.1:\d+ /);
      assert.ok(out.includes(HOSTS_LINE), out);
      assert.match(out, /\x1b\[32mINFO /);
      assert.doesNotMatch(out, /"msg":/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

async function waitFor(ok: () => boolean, output: () => string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
