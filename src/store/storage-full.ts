/**
 * Whether an error means the storage simfra writes to is full: the filesystem (ENOSPC, or
 * EDQUOT for a quota) or SQLite (SQLITE_FULL, "database or disk is full"). The stores leave
 * nothing half-written in that case (an append rolls back, a blob is renamed into place only
 * once whole, a transaction is undone), so the fronts can tell the client plainly and let it retry.
 */
export function storageFullCode(e: unknown): 'ENOSPC' | 'EDQUOT' | 'SQLITE_FULL' | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' ? code : undefined;
}
