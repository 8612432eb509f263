/**
 * Seals upload segments on a worker thread, so that an upload's AES-256-GCM runs beside its
 * SHA-256 (on the request's thread) instead of after it. One worker serves every sealed store of
 * an app (app.ts makes it; it starts on first use and never keeps the process alive). It makes
 * records in exactly sealed-format.ts's layout; reads open them there, and the contract suite
 * runs against a store that uses it.
 */
import { Worker } from 'node:worker_threads';

/** Plain JavaScript (evaluated), so the same code runs under tsx and from the esbuild bundle. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv, randomFillSync } = require('node:crypto');
const NONCE = 12;
const TAG = 16;
const SLICE = 16 * 1024;
parentPort.on('message', ({ id, key, index, last, data }) => {
  try {
    const plain = Buffer.from(data);
    const out = Buffer.allocUnsafeSlow(plain.length + NONCE + TAG);
    randomFillSync(out, 0, NONCE);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(key), out.subarray(0, NONCE));
    const aad = Buffer.alloc(9);
    aad.writeBigUInt64BE(BigInt(index), 0);
    aad[8] = last ? 1 : 0;
    cipher.setAAD(aad);
    let n = NONCE;
    for (let at = 0; at < plain.length; at += SLICE) n += cipher.update(plain.subarray(at, at + SLICE)).copy(out, n);
    n += cipher.final().copy(out, n);
    cipher.getAuthTag().copy(out, n);
    parentPort.postMessage({ id, out: out.buffer }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve(out: Buffer): void;
  reject(e: Error): void;
}

export class SealWorker {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #closed = false;

  /**
   * Seals `data` as record `index`; resolves with the record (nonce | ciphertext | tag). `data`
   * must own its whole ArrayBuffer (Buffer.allocUnsafeSlow): it is transferred, not copied.
   */
  seal(key: Buffer, index: number, last: boolean, data: Buffer): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('sealing worker is closed'));
    const worker = this.#start();
    const id = this.#next++;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, key, index, last, data: data.buffer }, [data.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (msg: { id: number; out?: ArrayBuffer; error?: string }) => {
      const pending = this.#pending.get(msg.id);
      if (pending === undefined) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref();
      if (msg.out !== undefined) pending.resolve(Buffer.from(msg.out));
      else pending.reject(new Error(`sealing failed: ${msg.error ?? 'unknown'}`));
    });
    const fail = (e: Error): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`sealing worker exited with ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
