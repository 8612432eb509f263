import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Db = Database.Database;

// Beside the sources (src/store/meta/migrations) or beside the bundle (dist/migrations).
const here = dirname(fileURLToPath(import.meta.url));
const MIGRATIONS_DIR = [join(here, '..', 'migrations'), join(here, 'migrations')].find((d) => existsSync(d)) ?? '';

/**
 * Opens the database and brings its schema up to date. Migrations are the numbered SQL files
 * in ../migrations, each applied once, in order, inside its own transaction. Applied versions are
 * recorded one by one (not as a high-water mark), so a migration merged with a lower number than
 * one already applied still runs.
 */
export function openDb(file: string): Db {
  if (file !== ':memory:') makePrivate(file);
  const db = new Database(file);
  if (file !== ':memory:') {
    own(db, file, () => {
      // One process owns the database, so it holds its lock for good: SQLite then keeps the WAL
      // index in memory (no -shm file) and takes no file lock per transaction. Those were ~18
      // fcntl calls per registry POST, and ~25 % of the server CPU of a manifest GET here. Set
      // before WAL is first used, or SQLite builds the shared-memory index anyway.
      db.pragma('locking_mode = EXCLUSIVE');
      // WAL + synchronous=FULL: every committed transaction is on disk before we answer.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    });
  }
  db.pragma('foreign_keys = ON');
  // SQLite's own default page cache, 2 MiB: better-sqlite3 builds it with 16 MiB, which an
  // emulator's metadata never needs (a miss is a read from the OS's cache), and which the registry
  // bench's manifest phase filled: 12.3 → 7.1 MiB of malloc heap, peak RSS 92 → 86 MiB.
  db.pragma('cache_size = -2000');
  migrate(db);
  return db;
}

/**
 * Runs `setup`, which takes the write lock at once rather than at the first write: a second
 * simfra on the same data directory stops at start, saying why, not at some later write.
 */
function own(db: Db, file: string, setup: () => void): void {
  try {
    setup();
  } catch (e) {
    db.close();
    if ((e as { code?: unknown }).code !== 'SQLITE_BUSY') throw e;
    // Shaped as a system error, which start-up reports in one line.
    throw Object.assign(new Error(`${file} is in use by another process (is another simfra running on this data directory?)`), {
      code: 'EBUSY',
      syscall: 'open',
      path: file,
    });
  }
}

/**
 * The database holds every account's keys (sealed) and all metadata: readable by its owner only.
 * SQLite gives the -wal and -shm files it creates the database file's mode, so creating that one
 * 0600 first is enough; files left by an older simfra (0644) are tightened too.
 */
function makePrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const applied = new Set(db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)');
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}-.*\.sql$/.test(f))
    .sort();
  for (const file of files) {
    const version = Number(file.slice(0, 3));
    if (applied.has(version)) continue;
    const sql = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      record.run(version, file);
    })();
  }
}

const relaxedSync = new WeakMap<Db, { relax: Database.Statement; restore: Database.Statement }>();

/**
 * Runs `write` (one statement) without waiting for the disk, for records of data that is itself
 * not durable yet: an upload session's bytes are fsynced only when the session is committed, so
 * an fsync of its record would buy nothing a power cut could not take anyway, and cost a WAL
 * fsync on the event loop per request. A crash of the process loses nothing (the WAL is in the
 * kernel's hands), and the next synchronous commit makes these records durable too.
 */
export function withoutSync<T>(db: Db, write: () => T): T {
  if (db.memory) return write();
  let s = relaxedSync.get(db);
  if (s === undefined) {
    s = { relax: db.prepare('PRAGMA synchronous = NORMAL'), restore: db.prepare('PRAGMA synchronous = FULL') };
    relaxedSync.set(db, s);
  }
  s.relax.run();
  try {
    return write();
  } finally {
    s.restore.run();
  }
}

export const toMillis = (d: Date): number => d.getTime();
export const fromMillis = (n: number): Date => new Date(n);

/** Opaque page cursors: base64url of the last key seen. */
export const encodeCursor = (v: string | number): string => Buffer.from(String(v), 'utf8').toString('base64url');
export const decodeCursor = (c: string): string => Buffer.from(c, 'base64url').toString('utf8');
