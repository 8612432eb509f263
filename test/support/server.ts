import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { npmStart } from './npm-start.js';

export const ROOT = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;
export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';

export interface TestServer {
  app: App;
  url: string;
  port: number;
  config: Config;
  close(): Promise<void>;
}

/** A real simfra in this process on a free loopback port. */
export async function startServer(overrides: Partial<Config> = {}, opts: AppOptions = {}): Promise<TestServer> {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides });
  const app = await createApp(config, { log: pino({ level: config.logLevel }), ...opts });
  const port = await app.listen();
  return { app, url: `http://127.0.0.1:${port}`, port, config, close: () => app.close() };
}

export function tempDir(prefix = 'simfra-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ChildServer {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let bundled: Promise<void> | undefined;

/** Builds the bundle `npm start` runs (scripts/build.mjs), once per test process. */
function buildBundle(): Promise<void> {
  bundled ??= new Promise((resolve, reject) => {
    const build = spawn(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/build.mjs exited with ${code}`))));
  });
  return bundled;
}

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * simfra as its own process, for restart, signal and kill tests: the TypeScript sources through
 * tsx, or with `bundle` the esbuild bundle that `npm start` runs (for measuring the process as
 * users run it: tsx's compiler adds some 50 MiB of resident memory).
 */
export async function spawnServer(env: Record<string, string> = {}, opts: { bundle?: boolean } = {}): Promise<ChildServer> {
  if (opts.bundle) await buildBundle();
  const start = opts.bundle ? npmStart(REPO_ROOT) : { env: {}, nodeArgs: ['--import', 'tsx'] };
  const child = spawn(process.execPath, [...start.nodeArgs, opts.bundle ? 'dist/main.mjs' : 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...start.env, SIMFRA_PORT: '0', SIMFRA_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simfra did not start:\n${out}`)), 20_000);
    const onData = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simfra exited with ${code}:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
