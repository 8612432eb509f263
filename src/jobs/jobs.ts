import type { Logger } from 'pino';

/**
 * Background work (lifecycle evaluation, blob garbage collection, …): each job runs on its own
 * interval and on demand from the admin API (`POST /_simfra/jobs/{name}`), so tests never sleep.
 * A job never runs twice at once: a call while it runs waits for that run and then starts its own,
 * so an on-demand run always sees every change made before it was asked for.
 */
export interface Job {
  readonly name: string;
  /** Milliseconds between scheduled runs; 0 = on demand only. */
  readonly intervalMs: number;
  /** One run; `options` come from the admin request body. The result is the admin API's answer. */
  run(options: Readonly<Record<string, unknown>>): Promise<unknown>;
}

export class JobNotFoundError extends Error {
  constructor(readonly jobName: string) {
    super(`no job named '${jobName}'`);
  }
}

/** Raised by a job for options it cannot take; the admin API answers 400 with the message. */
export class JobOptionsError extends Error {}

export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;

  constructor(private readonly log: Logger) {}

  register(job: Job): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} registered twice`);
    this.jobs.set(job.name, job);
    if (this.started) this.schedule(job);
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  /** Starts the schedules (called once the server listens). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.jobs.values()) this.schedule(job);
  }

  /** Runs `name` now, after any run in progress, and resolves with its result. */
  async run(name: string, options: Readonly<Record<string, unknown>> = {}): Promise<unknown> {
    const job = this.jobs.get(name);
    if (!job) throw new JobNotFoundError(name);
    const previous = this.running.get(name);
    const next = (async () => {
      if (previous) await previous.catch(() => undefined);
      return job.run(options);
    })();
    this.running.set(name, next);
    try {
      return await next;
    } finally {
      if (this.running.get(name) === next) this.running.delete(name);
    }
  }

  /** Stops the schedules and waits for runs in progress. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.started = false;
    await Promise.allSettled([...this.running.values()]);
  }

  private schedule(job: Job): void {
    if (job.intervalMs <= 0) return;
    const timer = setInterval(() => {
      if (this.running.has(job.name)) return;
      this.run(job.name).catch((err: unknown) => this.log.warn({ err, job: job.name }, 'scheduled job failed'));
    }, job.intervalMs);
    timer.unref();
    this.timers.push(timer);
  }
}
