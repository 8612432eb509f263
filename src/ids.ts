import { randomBytes, randomUUID } from 'node:crypto';

/** Identifiers and secrets, injected so tests can make them predictable. */
export interface Ids {
  uuid(): string;
  /** An AWS-style access key id: `AKIA…` for long-term keys, `ASIA…` for temporary ones. */
  accessKeyId(prefix: 'AKIA' | 'ASIA'): string;
  /** A 40-character secret access key. */
  secretAccessKey(): string;
  /** `count` random bytes. */
  bytes(count: number): Buffer;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const randomIds: Ids = {
  uuid: () => randomUUID(),
  accessKeyId(prefix) {
    const bytes = randomBytes(16);
    let s = prefix;
    for (let i = 0; i < 16; i++) s += KEY_ALPHABET[bytes[i]! % 32];
    return s;
  },
  secretAccessKey: () => randomBytes(30).toString('base64').replace(/[+]/g, 'A').slice(0, 40),
  bytes: (count) => randomBytes(count),
};
