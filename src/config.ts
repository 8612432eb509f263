import { MIN_PERSISTENCE_KEY_LENGTH } from './store/sealing.js';

/**
 * Every SIMFRA_* setting, typed and validated. The only reader of process.env.
 *
 * SETTINGS is the one table of variables: loadConfig takes its defaults from it, `simfra --help`
 * prints it, and the README's configuration table is checked against it (config.test.ts), so
 * the three cannot drift apart.
 */
export interface Config {
  /** TCP port of the one server (SIMFRA_PORT, default 4599; 0 picks a free port). */
  port: number;
  /** Bind address (SIMFRA_HOST, default 127.0.0.1: loopback only, safe by default). */
  host: string;
  /**
   * Host names answered beside localhost, loopback addresses, registry hosts and the bind address
   * (SIMFRA_ALLOWED_HOSTS, comma-separated: `name`, `.suffix` or `*.suffix`, `*` for any).
   */
  allowedHosts: string[];
  /** The account that exists at start and that plain `localhost:{port}/v2/` reaches (SIMFRA_DEFAULT_ACCOUNT_ID). */
  defaultAccountId: string;
  /** The region of plain `localhost:{port}/v2/` and of unscoped requests (SIMFRA_DEFAULT_REGION). */
  defaultRegion: string;
  /** Root credentials of the default account (SIMFRA_ROOT_ACCESS_KEY_ID / SIMFRA_ROOT_SECRET_ACCESS_KEY). */
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  /** Where state persists; undefined = in memory (SIMFRA_DATA_DIR). */
  dataDir: string | undefined;
  /** Master key material for secrets at rest (SIMFRA_PERSISTENCE_KEY); else `$dataDir/.master_key`. */
  persistenceKey: string | undefined;
  /** Lifetime of GetAuthorizationToken tokens in seconds (SIMFRA_AUTH_TOKEN_TTL_SECONDS, default 12 h as in ECR). */
  authTokenTtlSeconds: number;
  /** Host suffix of registry names: `{account}.dkr.ecr.{region}.{registryDomain}` (SIMFRA_REGISTRY_DOMAIN, default `localhost`). */
  registryDomain: string;
  /** Allowed clock skew for SigV4 in seconds (AWS: 15 minutes). */
  maxClockSkewSeconds: number;
  /** Log level for pino (SIMFRA_LOG_LEVEL: fatal|error|warn|info|debug|trace|silent; default info). */
  logLevel: string;
  /** JSON lines, readable lines, or readable on a terminal only (SIMFRA_LOG_FORMAT, default auto). */
  logFormat: LogFormat;
  /** Readable lines without colours (the NO_COLOR convention, https://no-color.org). */
  noColor: boolean;
  /** Runs containers for Lambda (and ECS) through a Docker Engine (SIMFRA_DOCKER=true). */
  docker: boolean;
  /** The Docker Engine: DOCKER_HOST (`unix:///path` or `tcp://host:port`); undefined = /var/run/docker.sock. */
  dockerHost: string | undefined;
  /**
   * Network mode of the containers simfra runs (SIMFRA_DOCKER_NETWORK, default `host`: they reach
   * simfra on 127.0.0.1). Docker Desktop users set e.g. `bridge`; containers then use
   * host.docker.internal.
   */
  dockerNetwork: string;
  /** Most containers one Lambda function configuration runs at once (SIMFRA_LAMBDA_MAX_CONTAINERS, default 8). */
  lambdaMaxContainers: number;
  /**
   * Connection limits, so that slow or idle clients cannot hold the server's sockets and file
   * descriptors. Every limit is on inactivity or on headers, never on a request's total
   * duration by default: a slow 1 GiB layer push that keeps sending bytes must succeed.
   */
  /** Most time to receive a request's headers (SIMFRA_HEADERS_TIMEOUT_SECONDS, default 60); then 408 and close. */
  headersTimeoutMs: number;
  /** A socket with no bytes in or out for this long is closed, mid-request too (SIMFRA_IDLE_TIMEOUT_SECONDS, default 120). */
  idleTimeoutMs: number;
  /** Most time for a whole request, 0 = no limit (SIMFRA_REQUEST_TIMEOUT_SECONDS, default 0). */
  requestTimeoutMs: number;
  /** Open connections at most; more are closed at once (SIMFRA_MAX_CONNECTIONS, default 1000). */
  maxConnections: number;
  /**
   * Bytes of AWS API request bodies held in memory at once, across all requests
   * (SIMFRA_MAX_BUFFERED_BODY_MB, default 256 MiB); over it requests are throttled.
   */
  maxBufferedBodyBytes: number;
  /** Seconds between scheduled blob garbage collections; 0 = on demand only (SIMFRA_BLOB_GC_INTERVAL_SECONDS, default 1 h). */
  blobGcIntervalSeconds: number;
  /** How long an unreferenced blob is kept after a push last touched it (SIMFRA_BLOB_GC_GRACE_SECONDS, default 1 h). */
  blobGcGraceSeconds: number;
  /**
   * Seconds between evaluations of every ECR lifecycle policy (SIMFRA_ECR_LIFECYCLE_INTERVAL_SECONDS,
   * default 60; 0 = only on demand, from POST /_simfra/jobs/ecr-lifecycle). ECR acts "within 24 hours".
   */
  ecrLifecycleIntervalSeconds: number;
  /**
   * Pull-through cache upstream overrides: `SIMFRA_ECR_UPSTREAM_<NAME>=<url>`, NAME the
   * upstreamRegistry upper-cased with `-` as `_` (DOCKER_HUB, QUAY, …), keyed here by NAME.
   */
  ecrUpstreams: Record<string, string>;
}

export type LogFormat = 'auto' | 'json' | 'pretty';

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

/** One environment variable as `simfra --help` and the README show it. */
export interface Setting {
  readonly name: string;
  /** The value used when the variable is unset or empty. */
  readonly default?: string;
  /** What leaving it unset means, for a variable without a default value. */
  readonly unset?: string;
  /** One line; `code` in backticks (the README keeps them, --help drops them). */
  readonly meaning: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

export const SETTINGS = [
  { name: 'SIMFRA_PORT', default: '4599', meaning: 'the one port of the ECR API, IAM, STS, the registry and the admin API (`0` = any free port)' },
  { name: 'SIMFRA_HOST', default: '127.0.0.1', meaning: 'bind address (`0.0.0.0` to be reachable from other machines: read "Security model" first)' },
  { name: 'SIMFRA_ALLOWED_HOSTS', unset: 'none', meaning: 'more `Host` names to answer, comma-separated: `name`, `.suffix` / `*.suffix`, or `*` for any (turns the DNS-rebinding guard off)' },
  { name: 'SIMFRA_DEFAULT_ACCOUNT_ID', default: '000000000000', meaning: 'the account that exists at start (12 digits)' },
  { name: 'SIMFRA_DEFAULT_REGION', default: 'us-east-1', meaning: 'region of plain `localhost:{port}/v2/`' },
  { name: 'SIMFRA_ROOT_ACCESS_KEY_ID', default: 'AKIAIOSFODNN7EXAMPLE', meaning: "access key id of the default account's root (AWS's documentation example)" },
  { name: 'SIMFRA_ROOT_SECRET_ACCESS_KEY', default: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', meaning: 'its secret access key (AWS\'s documentation example)' },
  { name: 'SIMFRA_DATA_DIR', unset: 'in memory', meaning: 'persist everything here: `simfra.db` (SQLite metadata), `ecr/` (blobs), `.master_key`. One simfra at a time: it holds `simfra.db` locked while it runs, and a second one on the same directory stops at start, saying so' },
  { name: 'SIMFRA_PERSISTENCE_KEY', unset: 'a random key in `$SIMFRA_DATA_DIR/.master_key`, mode 0600, made on first start', meaning: 'passphrase (16 characters or more) sealing secrets at rest, through scrypt with a salt in `$SIMFRA_DATA_DIR/.persistence_salt`' },
  { name: 'SIMFRA_AUTH_TOKEN_TTL_SECONDS', default: '43200', meaning: 'lifetime of `GetAuthorizationToken` passwords (12 h as in ECR; 60 to 604800)' },
  { name: 'SIMFRA_REGISTRY_DOMAIN', default: 'localhost', meaning: 'registry host suffix: `{account}.dkr.ecr.{region}.{domain}`' },
  { name: 'SIMFRA_LOG_LEVEL', default: 'info', meaning: '`fatal`, `error`, `warn`, `info` (one line per request), `debug`, `trace` or `silent`' },
  { name: 'SIMFRA_LOG_FORMAT', default: 'auto', meaning: '`json` (one pino JSON line per request), `pretty` (readable lines and a start-up banner; no colours if `NO_COLOR` is set), or `auto`: pretty when stdout is a terminal, else json' },
  { name: 'SIMFRA_HEADERS_TIMEOUT_SECONDS', default: '60', meaning: "a request's headers must arrive within this; else `408` and the connection closes" },
  { name: 'SIMFRA_IDLE_TIMEOUT_SECONDS', default: '120', meaning: 'a connection with no bytes in or out for this long is closed, mid-request too (a slow push that keeps sending is never cut)' },
  { name: 'SIMFRA_REQUEST_TIMEOUT_SECONDS', default: '0', meaning: 'most time for a whole request, `0` = none, so that a slow 1 GiB push succeeds' },
  { name: 'SIMFRA_MAX_CONNECTIONS', default: '1000', meaning: 'open connections at most; more are closed on arrival while the open ones are served' },
  { name: 'SIMFRA_MAX_BUFFERED_BODY_MB', default: '256', meaning: 'request bodies held in memory at once across all API requests and manifest pushes; over it the API answers `ThrottlingException` (IAM/STS: `Throttling`) and the registry `429 TOOMANYREQUESTS`' },
  { name: 'SIMFRA_ECR_LIFECYCLE_INTERVAL_SECONDS', default: '60', meaning: 'seconds between evaluations of every lifecycle policy (`0` = only on demand, `POST /_simfra/jobs/ecr-lifecycle`); ECR acts within 24 hours' },
  { name: 'SIMFRA_DOCKER', default: 'false', meaning: '`true` runs Lambda functions and ECS tasks in containers of a Docker Engine; without it every control-plane call works, and what would run a container answers an error that says how to enable it' },
  { name: 'DOCKER_HOST', unset: '`/var/run/docker.sock`', meaning: 'the Docker Engine simfra runs containers in (`unix:///path` or `tcp://host:port`)' },
  { name: 'SIMFRA_DOCKER_NETWORK', default: 'host', meaning: 'network mode of those containers; with `host` they reach simfra on 127.0.0.1, with any other (Docker Desktop: `bridge`) on `host.docker.internal`' },
  { name: 'SIMFRA_LAMBDA_MAX_CONTAINERS', default: '8', meaning: 'most containers one function configuration runs at once; further invocations wait' },
  { name: 'SIMFRA_BLOB_GC_INTERVAL_SECONDS', default: '3600', meaning: 'seconds between blob garbage collections (`0` = only on demand, `POST /_simfra/jobs/blob-gc`)' },
  { name: 'SIMFRA_ECR_UPSTREAM_<NAME>', unset: 'the real registry', meaning: 'base URL (`http://127.0.0.1:5000`) that pull-through cache rules of upstream registry NAME fetch from instead of its real one; NAME is the `upstreamRegistry` upper-cased with `-` as `_`: `DOCKER_HUB`, `QUAY`, `ECR_PUBLIC`, `K8S`, `GITHUB_CONTAINER_REGISTRY`, `AZURE_CONTAINER_REGISTRY`, `GITLAB_CONTAINER_REGISTRY`, `CHAINGUARD`' },
  { name: 'SIMFRA_BLOB_GC_GRACE_SECONDS', default: '3600', meaning: 'how long an unreferenced blob is kept after a push last touched it (60 to 2592000)' },
] as const satisfies readonly Setting[];

type SettingName = (typeof SETTINGS)[number]['name'];
type WithDefault = Extract<(typeof SETTINGS)[number], { default: string }>['name'];
type WithoutDefault = Exclude<SettingName, WithDefault>;

/** The variable's value, or its default from SETTINGS when unset or empty. */
function setting(env: Env, name: WithDefault): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  return (SETTINGS.find((s) => s.name === name) as { default: string }).default;
}

function optional(env: Env, name: WithoutDefault): string | undefined {
  return env[name] || undefined;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    port: intSetting(env, 'SIMFRA_PORT', 0, 65535),
    host: setting(env, 'SIMFRA_HOST'),
    allowedHosts: (optional(env, 'SIMFRA_ALLOWED_HOSTS') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
    defaultAccountId: setting(env, 'SIMFRA_DEFAULT_ACCOUNT_ID'),
    defaultRegion: setting(env, 'SIMFRA_DEFAULT_REGION'),
    rootAccessKeyId: setting(env, 'SIMFRA_ROOT_ACCESS_KEY_ID'),
    rootSecretAccessKey: setting(env, 'SIMFRA_ROOT_SECRET_ACCESS_KEY'),
    dataDir: optional(env, 'SIMFRA_DATA_DIR'),
    persistenceKey: optional(env, 'SIMFRA_PERSISTENCE_KEY'),
    authTokenTtlSeconds: intSetting(env, 'SIMFRA_AUTH_TOKEN_TTL_SECONDS', 60, 7 * 24 * 3600),
    registryDomain: setting(env, 'SIMFRA_REGISTRY_DOMAIN'),
    maxClockSkewSeconds: 15 * 60,
    logLevel: setting(env, 'SIMFRA_LOG_LEVEL'),
    logFormat: setting(env, 'SIMFRA_LOG_FORMAT') as LogFormat,
    noColor: (env.NO_COLOR ?? '') !== '',
    docker: ['true', '1'].includes(setting(env, 'SIMFRA_DOCKER')),
    dockerHost: optional(env, 'DOCKER_HOST'),
    dockerNetwork: setting(env, 'SIMFRA_DOCKER_NETWORK'),
    lambdaMaxContainers: intSetting(env, 'SIMFRA_LAMBDA_MAX_CONTAINERS', 1, 1000),
    headersTimeoutMs: intSetting(env, 'SIMFRA_HEADERS_TIMEOUT_SECONDS', 1, 3600) * 1000,
    idleTimeoutMs: intSetting(env, 'SIMFRA_IDLE_TIMEOUT_SECONDS', 1, 24 * 3600) * 1000,
    requestTimeoutMs: intSetting(env, 'SIMFRA_REQUEST_TIMEOUT_SECONDS', 0, 7 * 24 * 3600) * 1000,
    maxConnections: intSetting(env, 'SIMFRA_MAX_CONNECTIONS', 1, 1_000_000),
    maxBufferedBodyBytes: intSetting(env, 'SIMFRA_MAX_BUFFERED_BODY_MB', 32, 64 * 1024) * 1024 * 1024,
    blobGcIntervalSeconds: intSetting(env, 'SIMFRA_BLOB_GC_INTERVAL_SECONDS', 0, 7 * 24 * 3600),
    blobGcGraceSeconds: intSetting(env, 'SIMFRA_BLOB_GC_GRACE_SECONDS', 60, 30 * 24 * 3600),
    ecrLifecycleIntervalSeconds: intSetting(env, 'SIMFRA_ECR_LIFECYCLE_INTERVAL_SECONDS', 0, 7 * 24 * 3600),
    ecrUpstreams: upstreamOverrides(env),
    ...overrides,
  };
  validateConfig(config);
  return config;
}

function validateConfig(c: Config): void {
  if (!/^\d{12}$/.test(c.defaultAccountId)) {
    throw new ConfigError(`SIMFRA_DEFAULT_ACCOUNT_ID must be 12 digits, got '${c.defaultAccountId}'`);
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(c.defaultRegion)) {
    throw new ConfigError(`SIMFRA_DEFAULT_REGION must be a region name such as us-east-1, got '${c.defaultRegion}'`);
  }
  if (!/^[A-Z0-9]{16,128}$/.test(c.rootAccessKeyId)) {
    throw new ConfigError('SIMFRA_ROOT_ACCESS_KEY_ID must be 16-128 upper-case letters or digits');
  }
  if (c.rootSecretAccessKey.length < 16) throw new ConfigError('SIMFRA_ROOT_SECRET_ACCESS_KEY is too short');
  if (c.requestTimeoutMs > 0 && c.requestTimeoutMs < c.headersTimeoutMs) {
    throw new ConfigError('SIMFRA_REQUEST_TIMEOUT_SECONDS must be 0 (no limit) or at least SIMFRA_HEADERS_TIMEOUT_SECONDS');
  }
  if (c.persistenceKey !== undefined && c.persistenceKey.length < MIN_PERSISTENCE_KEY_LENGTH) {
    throw new ConfigError(
      `SIMFRA_PERSISTENCE_KEY must be at least ${MIN_PERSISTENCE_KEY_LENGTH} characters (it was ${c.persistenceKey.length}); ` +
        'use a long random value, e.g. from `openssl rand -base64 32`',
    );
  }
  for (const h of c.allowedHosts) {
    if (!/^(\*|(\*?\.)?[A-Za-z0-9._:[\]-]+)$/.test(h)) {
      throw new ConfigError(`SIMFRA_ALLOWED_HOSTS entries must be host names, '.suffix', '*.suffix' or '*', got '${h}'`);
    }
  }
  if (!LOG_LEVELS.includes(c.logLevel)) {
    throw new ConfigError(`SIMFRA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (!LOG_FORMATS.includes(c.logFormat)) {
    throw new ConfigError(`SIMFRA_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got '${c.logFormat}'`);
  }
}

/** The SIMFRA_ECR_UPSTREAM_<NAME> family, read from the whole environment. */
function upstreamOverrides(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^SIMFRA_ECR_UPSTREAM_([A-Z0-9_]+)$/.exec(name);
    if (!m || value === undefined || value === '') continue;
    if (!/^https?:\/\/[^/\s]+\/?$/.test(value)) {
      throw new ConfigError(`${name} must be a base URL such as http://127.0.0.1:5000, got '${value}'`);
    }
    out[m[1]!] = value.replace(/\/$/, '');
  }
  return out;
}

function intSetting(env: Env, name: WithDefault, min: number, max: number): number {
  const raw = setting(env, name);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return n;
}
