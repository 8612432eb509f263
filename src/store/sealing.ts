import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Seals secret material at rest (account secrets, the token-signing key) with AES-256-GCM under
 * a master key: SIMFRA_PERSISTENCE_KEY when given, else `$dataDir/.master_key` made on first
 * start with mode 0600, else (in-memory state) a key that lives as long as the process.
 */
export class Sealer {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(opts: { dataDir?: string; persistenceKey?: string }): Sealer {
    if (opts.persistenceKey) return new Sealer(createHash('sha256').update(opts.persistenceKey).digest());
    if (!opts.dataDir) return new Sealer(randomBytes(32));
    mkdirSync(opts.dataDir, { recursive: true });
    const file = join(opts.dataDir, '.master_key');
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return new Sealer(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  unseal(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('cannot unseal stored secrets: the master key (SIMFRA_PERSISTENCE_KEY or .master_key) changed');
    }
  }
}
