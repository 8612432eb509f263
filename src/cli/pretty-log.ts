/**
 * Readable log lines for a person at a terminal, made from pino's JSON lines.
 *
 * A pino destination stream in this thread, not a transport: transports run in worker threads
 * that load their module by name at run time, which esbuild's bundle (`npm start`) cannot
 * follow, and a worker can lose the last lines when the process exits. pino-pretty as a stream
 * would work, but prints every field of a line on lines of its own and brings a dozen
 * dependencies; simfra's lines have few, known fields, so forty lines do it.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Readonly<Record<number, { label: string; color: string }>> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '36' },
  30: { label: 'INFO ', color: '32' },
  40: { label: 'WARN ', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '41;97' },
};

/** Fields shown by the line's layout, or noise for a person. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err']);
const REQUEST_FIELDS = new Set([...HIDDEN, 'requestId', 'method', 'path', 'service', 'operation', 'route', 'status', 'ms', 'bytes']);

export interface PrettyOptions {
  color: boolean;
}

/** One pino JSON line → one readable line (an error's stack on the lines after it). */
export function prettyLine(json: string, { color }: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const time = paint('2', clock(typeof entry.time === 'number' ? entry.time : Date.now()));
  const level = LEVELS[Number(entry.level)] ?? { label: String(entry.level), color: '0' };
  let line: string;
  if (entry.msg === 'request' && typeof entry.status === 'number') {
    const status = entry.status;
    const what = entry.operation !== undefined ? `${String(entry.service)} ${String(entry.operation)}` : `${String(entry.method)} ${String(entry.path ?? entry.route)}`;
    const size = typeof entry.bytes === 'number' || typeof entry.bytes === 'string' ? `  ${bytes(Number(entry.bytes))}` : '';
    line = `${time} ${paint(status >= 500 ? '31' : status >= 400 ? '33' : '32', String(status))} ${what}  ${String(entry.ms)} ms${size}${fields(entry, REQUEST_FIELDS)}`;
    if (entry.requestId !== undefined) line += paint('2', `  ${String(entry.requestId)}`);
  } else {
    line = `${time} ${paint(level.color, level.label)} ${String(entry.msg ?? '')}${fields(entry, HIDDEN)}`;
  }
  const err = entry.err as { stack?: unknown; message?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const text = typeof err.stack === 'string' ? err.stack : String(err.message);
    line += `\n${text.replace(/^/gm, '    ')}`;
  }
  return `${line}\n`;
}

/** A pino destination writing readable lines to `out` (synchronously when `out` is). */
export function prettyStream(out: { write(s: string): unknown }, options: PrettyOptions): DestinationStream {
  return { write: (json: string) => void out.write(prettyLine(json, options)) };
}

function fields(entry: Record<string, unknown>, hidden: ReadonlySet<string>): string {
  let out = '';
  for (const [k, v] of Object.entries(entry)) {
    if (hidden.has(k) || v === undefined) continue;
    out += ` ${k}=${typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`;
  }
  return out;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function bytes(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
