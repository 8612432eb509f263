/**
 * Why the server could not listen, as one line a person can act on; undefined for what is
 * not a listen error.
 */
export function listenErrorLine(err: unknown, { host, port }: { host: string; port: number }): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${host} — set SIMFRA_PORT to a free port (0 = any free port), or stop what is listening there`;
    case 'EACCES':
      if ((err as NodeJS.ErrnoException).syscall === 'listen') {
        return `no permission to listen on port ${port} on ${host} — ports below 1024 need root; set SIMFRA_PORT to 1024 or above`;
      }
      return undefined;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine — set SIMFRA_HOST to one of its addresses (127.0.0.1 for this machine only)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `SIMFRA_HOST '${host}' does not resolve to an address — set it to an IP address such as 127.0.0.1`;
    default:
      return undefined;
  }
}

/**
 * A system error met while starting (a data directory that cannot be written, a full disk)
 * says what it is without a stack; undefined for anything else (a bug: its stack is printed).
 */
export function systemErrorLine(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (typeof code !== 'string' || syscall === undefined) return undefined;
  return code === 'EACCES' || code === 'EPERM' ? `${err.message} — check SIMFRA_DATA_DIR and its permissions` : err.message;
}
