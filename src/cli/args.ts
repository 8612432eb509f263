/**
 * The command line: simfra is configured by environment variables, so the only flags are the
 * ones that print something instead of starting.
 */
export type Command = { kind: 'run' } | { kind: 'help' } | { kind: 'version' } | { kind: 'error'; message: string };

export function parseArgs(argv: readonly string[]): Command {
  let command: Command = { kind: 'run' };
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-v' || arg === '--version') command = { kind: 'version' };
    else if (arg.startsWith('-')) return { kind: 'error', message: `unknown option '${arg}'` };
    else return { kind: 'error', message: `unexpected argument '${arg}' (simfra is configured by SIMFRA_* environment variables)` };
  }
  return command;
}
