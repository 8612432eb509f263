import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * The ciphertext blob of a symmetric KMS key (pure; no I/O):
 *
 *   0      version 0x01
 *   1      key id form: 0 = UUID, 1 = multi-Region `mrk-<32 hex>`
 *   2–17   the key id's 16 bytes (so Decrypt needs no KeyId, as in KMS)
 *   18–21  index of the key material version (rotation keeps old versions for Decrypt)
 *   22–33  GCM IV
 *   34–49  GCM tag
 *   50–    AES-256-GCM ciphertext
 *
 * The additional authenticated data binds the header and the encryption context (canonical:
 * keys sorted), so a different context, key or material fails authentication like a tampered
 * blob: InvalidCiphertextException.
 */
const VERSION = 1;
const HEADER = 22;
const IV = 12;
const TAG = 16;

export interface BlobHeader {
  keyId: string;
  material: number;
}

function idBytes(keyId: string): { form: number; bytes: Buffer } {
  if (keyId.startsWith('mrk-')) return { form: 1, bytes: Buffer.from(keyId.slice(4), 'hex') };
  return { form: 0, bytes: Buffer.from(keyId.replace(/-/g, ''), 'hex') };
}

function idOf(form: number, bytes: Buffer): string | undefined {
  const hex = bytes.toString('hex');
  if (form === 1) return `mrk-${hex}`;
  if (form === 0) return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return undefined;
}

/** The canonical form of an encryption context: sorted keys, as UTF-8 JSON. */
export function canonicalContext(context: Readonly<Record<string, string>> | undefined): Buffer {
  const sorted = Object.keys(context ?? {})
    .sort()
    .map((k) => [k, context![k]!]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

function aad(header: Buffer, context: Readonly<Record<string, string>> | undefined): Buffer {
  return Buffer.concat([header, canonicalContext(context)]);
}

export function seal(
  keyId: string,
  material: { index: number; key: Buffer },
  iv: Buffer,
  plaintext: Uint8Array,
  context: Readonly<Record<string, string>> | undefined,
): Buffer {
  const id = idBytes(keyId);
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header[1] = id.form;
  id.bytes.copy(header, 2);
  header.writeUInt32BE(material.index, 18);
  const cipher = createCipheriv('aes-256-gcm', material.key, iv);
  cipher.setAAD(aad(header, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The key a blob names, or undefined when the bytes are not a blob of ours. */
export function readHeader(blob: Uint8Array): BlobHeader | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < HEADER + IV + TAG || b[0] !== VERSION) return undefined;
  const keyId = idOf(b[1]!, b.subarray(2, 18));
  return keyId === undefined ? undefined : { keyId, material: b.readUInt32BE(18) };
}

/** The plaintext, or undefined when authentication fails (wrong context, key or tampering). */
export function open(blob: Uint8Array, key: Buffer, context: Readonly<Record<string, string>> | undefined): Buffer | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const header = b.subarray(0, HEADER);
  const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(HEADER, HEADER + IV));
  decipher.setAAD(aad(header, context));
  decipher.setAuthTag(b.subarray(HEADER + IV, HEADER + IV + TAG));
  try {
    return Buffer.concat([decipher.update(b.subarray(HEADER + IV + TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}
