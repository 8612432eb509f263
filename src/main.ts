import { readFileSync } from 'node:fs';
import { createApp } from './app.js';
import { parseArgs } from './cli/args.js';
import { banner } from './cli/banner.js';
import { helpText } from './cli/help.js';
import { createLogging } from './cli/logging.js';
import { listenErrorLine, systemErrorLine } from './cli/start-errors.js';
import { mapStackTracesLazily } from './cli/stack-traces.js';
import { ConfigError, loadConfig } from './config.js';

/** From package.json: one level up from both src/main.ts and the bundle's dist/server.cjs. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`simfra: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  mapStackTracesLazily(import.meta.url);
  const command = parseArgs(process.argv.slice(2));
  switch (command.kind) {
    case 'help':
      process.stdout.write(helpText(version()));
      return;
    case 'version':
      process.stdout.write(`simfra ${version()}\n`);
      return;
    case 'error':
      fail(`${command.message}\nRun 'simfra --help' for usage.`, 2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    throw e;
  }
  const { log, pretty, print } = createLogging(config, process.stdout.isTTY === true);
  const app = await createApp(config, { log });
  try {
    await app.listen();
  } catch (e) {
    const line = listenErrorLine(e, config);
    if (line === undefined) throw e;
    await app.close().catch(() => {});
    fail(line, 1);
  }
  const state = config.dataDir ? `in ${config.dataDir}` : 'in memory';
  // The fields are for machines; a person gets the banner below instead.
  const fields = {
    endpoint: app.url,
    registry: `${config.defaultAccountId}.dkr.ecr.${config.defaultRegion}.${config.registryDomain}:${app.port}`,
    account: config.defaultAccountId,
    region: config.defaultRegion,
    state: config.dataDir ? `persistent in ${config.dataDir}` : 'in memory',
  };
  log.info(pretty ? {} : fields, `simfra listening on ${app.url} (account ${config.defaultAccountId}, region ${config.defaultRegion}, state ${state})`);
  if (pretty) print(banner(config, { url: app.url, port: app.port, version: version() }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'simfra stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const line = systemErrorLine(err);
  if (line !== undefined) fail(`failed to start: ${line}`, 1);
  process.stderr.write(`simfra: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
