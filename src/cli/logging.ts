import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';
import { prettyStream } from './pretty-log.js';

export interface Logging {
  log: Logger;
  /** Readable lines (and the banner) rather than JSON lines. */
  pretty: boolean;
  /** Writes text for a person in order with the log lines (pretty mode only). */
  print(text: string): void;
}

/**
 * JSON lines for machines (pino's own buffered stdout, as before), readable lines for a person:
 * SIMFRA_LOG_FORMAT decides, or with `auto`, whether stdout is a terminal.
 */
export function createLogging(config: Config, stdoutIsTty: boolean): Logging {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && stdoutIsTty);
  if (!pretty) return { log: pino({ level: config.logLevel }), pretty, print: () => {} };
  // Synchronous: a terminal is slow anyway, and nothing written before an exit is lost.
  const out = pino.destination({ dest: 1, sync: true });
  const log = pino({ level: config.logLevel }, prettyStream(out, { color: stdoutIsTty && !config.noColor }));
  return { log, pretty, print: (text) => void out.write(text) };
}
