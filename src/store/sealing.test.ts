import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteMetaStore } from './meta/sqlite.js';
import { SALT_FILE, Sealer } from './sealing.js';

const KEY = 'correct horse battery staple';

/** What simfra before the scrypt derivation wrote: AES-256-GCM under SHA-256 of the key, tagged v1. */
function legacySeal(plain: string, persistenceKey: string): string {
  const key = createHash('sha256').update(persistenceKey).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

function openWith(key: Buffer, sealed: string): string {
  const [, iv, tag, body] = sealed.split('.');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
  decipher.setAuthTag(Buffer.from(tag!, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body!, 'base64')), decipher.final()]).toString('utf8');
}

describe('Sealer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'simfra-sealing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('derives the key from SIMFRA_PERSISTENCE_KEY with scrypt and a salt kept beside the data (0600)', () => {
    // when
    const sealed = Sealer.fromConfig({ dataDir: dir, persistenceKey: KEY }).seal('secret');
    // then
    const saltFile = join(dir, SALT_FILE);
    assert.equal(statSync(saltFile).mode & 0o777, 0o600);
    const salt = Buffer.from(readFileSync(saltFile, 'utf8').trim(), 'base64');
    assert.equal(salt.length, 16);
    assert.match(sealed, /^v2\./);
    assert.equal(openWith(scryptSync(KEY, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 }), sealed), 'secret');
    assert.throws(() => openWith(createHash('sha256').update(KEY).digest(), sealed));
    assert.equal(Sealer.fromConfig({ dataDir: dir, persistenceKey: KEY }).unseal(sealed), 'secret', 'the salt is reused on the next start');
  });

  it('opens values sealed under the old SHA-256 derivation, and the store seals them again under scrypt', async () => {
    // given: a data dir as an older simfra left it (v1 values under SHA-256 of the key, no salt)
    const file = join(dir, 'simfra.db');
    const first = openSqliteMetaStore(file, Sealer.fromConfig({ dataDir: dir, persistenceKey: KEY }));
    await first.secrets.getOrCreate('registry-token-key', () => 'token key');
    await first.close();
    const db = new Database(file);
    db.prepare('UPDATE secrets SET sealed = ? WHERE name = ?').run(legacySeal('token key', KEY), 'registry-token-key');
    db.close();
    rmSync(join(dir, SALT_FILE));
    // when
    const store = openSqliteMetaStore(file, Sealer.fromConfig({ dataDir: dir, persistenceKey: KEY }));
    const value = await store.secrets.getOrCreate('registry-token-key', () => 'a new key');
    await store.close();
    // then
    assert.equal(value, 'token key');
    const raw = new Database(file, { readonly: true });
    const row = raw.prepare<[string], { sealed: string }>('SELECT sealed FROM secrets WHERE name = ?').get('registry-token-key');
    raw.close();
    assert.match(row!.sealed, /^v2\./);
  });
});
