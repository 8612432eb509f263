import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** SIMFRA_PERSISTENCE_KEY's minimum length (config.ts refuses shorter keys). */
export const MIN_PERSISTENCE_KEY_LENGTH = 16;

/** Beside the data: the salt of the key derivation (not secret; it makes each data dir's key its own). */
export const SALT_FILE = '.persistence_salt';

/**
 * scrypt's cost: N = 2^15, r = 8, p = 1 (32 MiB; 0.1–0.6 s once at start, only with a passphrase),
 * the interactive-use parameters of RFC 7914 and OWASP's password storage cheat sheet. A guessed
 * key costs an attacker as much per try.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/**
 * Seals secret material at rest (account secrets, the token-signing key) with AES-256-GCM under
 * a master key:
 *
 * - SIMFRA_PERSISTENCE_KEY, through scrypt with a random salt kept in `$dataDir/.persistence_salt`;
 *   values sealed so are tagged `v2`.
 * - else `$dataDir/.master_key`, 32 random bytes made on first start with mode 0600 (no derivation
 *   needed); values tagged `v1`.
 * - else (in-memory state) a key that lives as long as the process.
 *
 * Data dirs from before the scrypt derivation hold `v1` values sealed under SHA-256 of
 * SIMFRA_PERSISTENCE_KEY. They still open: `v1` values are unsealed with that legacy key, and the
 * metadata store re-seals them as `v2` when it opens (resealLegacy), so after one start the data no
 * longer depends on the weak derivation.
 */
export class Sealer {
  private constructor(
    private readonly key: Buffer,
    private readonly version: 'v1' | 'v2',
    /** The key of `v1` values when `version` is `v2` (SHA-256 of the persistence key). */
    private readonly legacyKey?: Buffer,
  ) {}

  static fromConfig(opts: { dataDir?: string; persistenceKey?: string }): Sealer {
    if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    if (opts.persistenceKey) {
      const salt = opts.dataDir ? readOrCreate(join(opts.dataDir, SALT_FILE), 16) : randomBytes(16);
      const key = scryptSync(opts.persistenceKey, salt, 32, SCRYPT);
      return new Sealer(key, 'v2', createHash('sha256').update(opts.persistenceKey).digest());
    }
    if (!opts.dataDir) return new Sealer(randomBytes(32), 'v1');
    return new Sealer(readOrCreate(join(opts.dataDir, '.master_key'), 32), 'v1');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [this.version, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /** Whether `sealed` was sealed under an older derivation and should be sealed again. */
  isLegacy(sealed: string): boolean {
    return this.version === 'v2' && sealed.startsWith('v1.');
  }

  unseal(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    const key = version === this.version ? this.key : version === 'v1' ? this.legacyKey : undefined;
    if (key === undefined || !iv || !tag || body === undefined) {
      if (version === 'v2') throw new Error('cannot unseal stored secrets: they were sealed under SIMFRA_PERSISTENCE_KEY, which is not set');
      throw new Error('unrecognised sealed value');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('cannot unseal stored secrets: the master key (SIMFRA_PERSISTENCE_KEY or .master_key) changed');
    }
  }
}

/** `bytes` random bytes kept base64 in `file` (mode 0600), made on first use. */
function readOrCreate(file: string, bytes: number): Buffer {
  if (!existsSync(file)) writeFileSync(file, randomBytes(bytes).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  const value = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (value.length !== bytes) throw new Error(`${file} does not hold ${bytes} base64 bytes`);
  return value;
}
