/**
 * Running invocations: a pool of sandboxes per function configuration, each one container of the
 * function's image talking to its own Lambda Runtime API endpoint served by simfra on loopback
 * (`AWS_LAMBDA_RUNTIME_API`: `/2018-06-01/runtime/invocation/next`, `…/{id}/response`,
 * `…/{id}/error`, `/2018-06-01/runtime/init/error`). One endpoint per sandbox is how the Runtime
 * API tells callers apart, as in Lambda where each execution environment has its own.
 *
 * Warm sandboxes are reused; a busy pool grows up to `maxPerFunction` containers, after which
 * invocations wait for a free one. A sandbox whose invocation timed out, whose runtime crashed or
 * reported an init error is removed. Idle sandboxes go after `idleMs`.
 *
 * The timeout is real time (the container runs in real time), measured from when the runtime
 * receives the event.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { ContainerRuntime, RunningContainer } from '../../containers/runtime.js';
import { texts } from './messages.js';

export interface SandboxConfig {
  /** Pool key: function ARN, version and revision (a changed configuration gets new sandboxes). */
  key: string;
  functionArn: string;
  functionName: string;
  version: string;
  memoryMb: number;
  timeoutSeconds: number;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  /**
   * Called when a new sandbox starts: the engine's image (loaded under IAM) and the environment
   * (with fresh credentials of the execution role), without AWS_LAMBDA_RUNTIME_API.
   */
  materialize(): Promise<{ image: string; env: Record<string, string> }>;
  labels: Record<string, string>;
}

export type InvocationResult =
  | { kind: 'ok'; payload: Buffer; log: string }
  | { kind: 'error'; payload: Buffer; log: string };

interface Pending {
  requestId: string;
  payload: Buffer;
  clientContext?: string;
  handedOver: boolean;
  onHandOver?: () => void;
  settle(result: { kind: 'ok' | 'error'; payload: Buffer }): void;
}

const API = '/2018-06-01/runtime';
/** How long a runtime may take to ask for its first event (Lambda's init phase limit). */
const INIT_LIMIT_MS = 10_000;

class Sandbox {
  server!: Server;
  port = 0;
  container: RunningContainer | undefined;
  busy = false;
  dead = false;
  lastUsed = 0;
  current: Pending | undefined;
  parked: ServerResponse | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly config: SandboxConfig,
    private readonly invoker: Invoker,
  ) {}

  async start(bindHost: string, endpointHost: string): Promise<void> {
    this.server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, bindHost, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    const c = this.config;
    const { image, env } = await c.materialize();
    this.container = await this.invoker.runtime.start({
      image,
      name: `simfra-lambda-${c.functionName}-${this.port}-${Math.random().toString(36).slice(2, 8)}`,
      env: { ...env, AWS_LAMBDA_RUNTIME_API: `${endpointHost}:${this.port}` },
      memoryMb: c.memoryMb,
      labels: c.labels,
      ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
      ...(c.cmd ? { cmd: c.cmd } : {}),
      ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    });
    void this.container.exited.then((code) => this.#exited(code));
  }

  /** Runs one invocation; resolves with the runtime's answer (or Lambda's own on timeout / crash). */
  invoke(requestId: string, payload: Buffer, clientContext: string | undefined): Promise<{ kind: 'ok' | 'error'; payload: Buffer; offset: number }> {
    return new Promise((resolve) => {
      let offset = this.container?.written ?? 0;
      const initTimer = setTimeout(() => {
        if (!pending.handedOver) this.#fail(pending, errorBody('Runtime.Unknown', `RequestId: ${requestId} Error: the runtime did not ask for an event within ${INIT_LIMIT_MS / 1000} seconds`));
      }, INIT_LIMIT_MS);
      const pending: Pending = {
        requestId,
        payload,
        ...(clientContext !== undefined ? { clientContext } : {}),
        handedOver: false,
        settle: (r) => {
          clearTimeout(initTimer);
          if (this.#timer) clearTimeout(this.#timer);
          this.#timer = undefined;
          if (this.current === pending) this.current = undefined;
          resolve({ ...r, offset });
        },
      };
      this.current = pending;
      pending.onHandOver = () => {
        offset = this.container?.written ?? 0;
      };
      if (this.parked) this.#handOver(this.parked);
    });
  }

  #handOver(res: ServerResponse): void {
    const p = this.current;
    if (!p || p.handedOver) return;
    this.parked = undefined;
    p.handedOver = true;
    p.onHandOver?.();
    const deadline = Date.now() + this.config.timeoutSeconds * 1000;
    this.#timer = setTimeout(() => {
      const at = this.invoker.clock.now().toISOString();
      this.#fail(p, Buffer.from(JSON.stringify({ errorMessage: texts.timedOut(at, p.requestId, this.config.timeoutSeconds) })));
    }, this.config.timeoutSeconds * 1000);
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': p.requestId,
      'lambda-runtime-deadline-ms': String(deadline),
      'lambda-runtime-invoked-function-arn': this.config.functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${p.requestId.replace(/-/g, '').slice(0, 24)};Sampled=0`,
      ...(p.clientContext !== undefined ? { 'lambda-runtime-client-context': p.clientContext } : {}),
    });
    res.end(p.payload);
  }

  /** Ends the invocation with Lambda's own error and retires the sandbox. */
  #fail(p: Pending, body: Buffer): void {
    this.dead = true;
    p.settle({ kind: 'error', payload: body });
    void this.invoker.retire(this);
  }

  #exited(code: number): void {
    this.dead = true;
    if (this.current) this.#fail(this.current, errorBody('Runtime.ExitError', texts.runtimeExited(this.current.requestId, code)));
    void this.invoker.retire(this);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0]!;
      const accepted = () => {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
      };
      if (req.method === 'GET' && path === `${API}/invocation/next`) {
        this.parked = res;
        res.on('close', () => {
          if (this.parked === res) this.parked = undefined;
        });
        if (this.current && !this.current.handedOver) this.#handOver(res);
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (req.method === 'POST' && m) {
        const p = this.current;
        if (!p || p.requestId !== decodeURIComponent(m[1]!)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' }));
          return;
        }
        accepted();
        p.settle({ kind: m[2] === 'response' ? 'ok' : 'error', payload: body });
        return;
      }
      if (req.method === 'POST' && path === `${API}/init/error`) {
        accepted();
        this.dead = true;
        if (this.current) this.#fail(this.current, body.length > 0 ? body : errorBody('Runtime.Unknown', 'init error'));
        else void this.invoker.retire(this);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorMessage: 'not found', errorType: 'InvalidRequest' }));
    });
  }

  async stop(): Promise<void> {
    this.dead = true;
    this.parked?.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await this.container?.remove();
  }
}

function errorBody(type: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType: type, errorMessage: message }));
}

export interface InvokerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  log: Logger;
  maxPerFunction: number;
  idleMs: number;
}

/** Lambda's `REPORT` and friends around what the container wrote during the invocation. */
function logText(requestId: string, version: string, output: string, ms: number, memoryMb: number): string {
  const duration = ms.toFixed(2);
  return (
    `START RequestId: ${requestId} Version: ${version}\n${output}${output.endsWith('\n') || output === '' ? '' : '\n'}` +
    `END RequestId: ${requestId}\n` +
    `REPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.max(1, Math.ceil(ms))} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${memoryMb} MB\t\n`
  );
}

export class Invoker {
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly #pools = new Map<string, Sandbox[]>();
  readonly #waiters = new Map<string, (() => void)[]>();
  /** Pools of a configuration that changed or a function that was deleted: emptied as sandboxes free up. */
  readonly #stale = new Set<string>();
  readonly #reaper: NodeJS.Timeout;

  constructor(private readonly opts: InvokerOptions) {
    this.runtime = opts.runtime;
    this.clock = opts.clock;
    this.#reaper = setInterval(() => void this.reapIdle(), Math.min(opts.idleMs, 60_000));
    this.#reaper.unref();
  }

  async invoke(config: SandboxConfig, requestId: string, payload: Buffer, clientContext?: string): Promise<InvocationResult> {
    const sandbox = await this.#acquire(config);
    const started = process.hrtime.bigint();
    try {
      const r = await sandbox.invoke(requestId, payload, clientContext);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const output = sandbox.container ? sandbox.container.outputSince(r.offset).toString('utf8') : '';
      return { kind: r.kind, payload: r.payload, log: logText(requestId, config.version, output, ms, config.memoryMb) };
    } finally {
      this.#release(sandbox);
    }
  }

  async #acquire(config: SandboxConfig): Promise<Sandbox> {
    if (!this.#pools.has(config.key)) void this.#retireOthers(config);
    for (;;) {
      const pool = this.#pools.get(config.key) ?? [];
      this.#pools.set(config.key, pool);
      const idle = pool.find((s) => !s.busy && !s.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < this.opts.maxPerFunction) {
        const s = new Sandbox(config, this);
        s.busy = true;
        pool.push(s);
        try {
          await s.start(this.runtime.endpointHost() === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0', this.runtime.endpointHost());
        } catch (e) {
          await this.retire(s);
          throw e;
        }
        return s;
      }
      await new Promise<void>((resolve) => {
        const list = this.#waiters.get(config.key) ?? [];
        list.push(resolve);
        this.#waiters.set(config.key, list);
      });
    }
  }

  #release(s: Sandbox): void {
    s.busy = false;
    if (this.#stale.has(s.config.key)) {
      void this.retire(s);
      return;
    }
    s.lastUsed = Date.now();
    this.#wake(s.config.key);
  }

  #wake(key: string): void {
    const next = this.#waiters.get(key)?.shift();
    next?.();
  }

  /** @internal Removes a sandbox from its pool and stops it. */
  async retire(s: Sandbox): Promise<void> {
    const pool = this.#pools.get(s.config.key);
    if (pool) {
      const i = pool.indexOf(s);
      if (i >= 0) pool.splice(i, 1);
      if (pool.length === 0) {
        this.#pools.delete(s.config.key);
        this.#stale.delete(s.config.key);
      }
    }
    this.#wake(s.config.key);
    await s.stop().catch((err: unknown) => this.opts.log.warn({ err }, 'stopping a Lambda sandbox failed'));
  }

  /** A new configuration of the same function version: the sandboxes of older ones go. */
  async #retireOthers(config: SandboxConfig): Promise<void> {
    for (const [key, pool] of [...this.#pools]) {
      const c = pool[0]?.config;
      if (key !== config.key && c && c.functionArn === config.functionArn && c.version === config.version) await this.#drop(key, pool);
    }
  }

  /** Stops the sandboxes of a deleted function (busy ones when their invocation ends). */
  async dropFunction(functionArn: string): Promise<void> {
    for (const [key, pool] of [...this.#pools]) if (pool[0]?.config.functionArn === functionArn) await this.#drop(key, pool);
  }

  async #drop(key: string, pool: Sandbox[]): Promise<void> {
    this.#stale.add(key);
    for (const s of [...pool]) if (!s.busy) await this.retire(s);
  }

  async reapIdle(): Promise<void> {
    const cutoff = Date.now() - this.opts.idleMs;
    for (const pool of [...this.#pools.values()]) {
      for (const s of [...pool]) if (!s.busy && s.lastUsed < cutoff) await this.retire(s);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    await Promise.all([...this.#pools.values()].flat().map((s) => this.retire(s)));
  }
}
