import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { AppendSink, BufferPool, FileRangeStream, sendStream } from './file-stream.js';

/** A Writable that keeps a copy of what it was given, acknowledging each write after a turn. */
function collector(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('FileRangeStream', () => {
  let dir: string;
  let path: string;
  const data = randomBytes(5 * 4096 + 123);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simfra-file-stream-'));
    path = join(dir, 'blob');
    await writeFile(path, data);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the whole file through two reused buffers and gives them back', async () => {
    // given a pool of 4 KiB buffers and a file of five and a bit of them
    const pool = new BufferPool(4096, 4);
    const { sink, bytes } = collector();
    // when it is sent
    await sendStream(new FileRangeStream(openSync(path, 'r'), { start: 0, end: data.length - 1 }, pool), sink);
    // then the bytes are the file's, the sink is ended and both buffers are back in the pool
    assert.deepEqual(bytes(), data);
    assert.equal(sink.writableFinished, true);
    assert.equal(pool.idle, 2);
  });

  it('sends a range, and reads the same range as a plain Readable', async () => {
    // given a range across buffer boundaries
    const pool = new BufferPool(4096, 4);
    const span = { start: 1000, end: 3 * 4096 + 17 };
    const expected = data.subarray(span.start, span.end + 1);
    // when it is sent, and when it is read
    const sent = collector();
    await sendStream(new FileRangeStream(openSync(path, 'r'), span, pool), sent.sink);
    const chunks: Buffer[] = [];
    for await (const chunk of new FileRangeStream(openSync(path, 'r'), span, pool)) chunks.push(chunk as Buffer);
    // then both carry exactly the range
    assert.deepEqual(sent.bytes(), expected);
    assert.deepEqual(Buffer.concat(chunks), expected);
  });

  it('stops on abort, closes its file and keeps the buffers a dead sink may hold', async () => {
    // given a sink that never acknowledges a write
    const pool = new BufferPool(4096, 4);
    const fds = openFds();
    const sink = new Writable({ write() {} });
    const ac = new AbortController();
    const stream = new FileRangeStream(openSync(path, 'r'), { start: 0, end: data.length - 1 }, pool);
    // when the client goes away mid-send
    const sending = sendStream(stream, sink, ac.signal);
    setTimeout(() => ac.abort(new Error('client left')), 20);
    // then the send fails, the sink is destroyed, the file closed, and no buffer went back
    await assert.rejects(sending, /client left/);
    assert.equal(sink.destroyed, true);
    await new Promise((r) => stream.once('close', r));
    // (at most as many as before: a descriptor an earlier test's stream was still closing may be gone)
    assert.ok(openFds() <= fds, `descriptors open: ${openFds()}, before: ${fds}`);
    assert.equal(pool.idle, 0);
    assert.equal(pool.spare, Infinity);
  });

  it('reads into the larger buffers while two are spare, and into the smaller ones after', async () => {
    // given larger buffers enough for one transfer, and a first transfer holding them
    const small = new BufferPool(1024, 8);
    const larger = new BufferPool(8192, 2, 2);
    const span = { start: 0, end: data.length - 1 };
    const first = collector();
    const held = sendStream(new FileRangeStream(openSync(path, 'r'), span, small, larger), first.sink);
    assert.equal(larger.spare, 0);
    // when a second transfer starts meanwhile
    const second = collector();
    await sendStream(new FileRangeStream(openSync(path, 'r'), span, small, larger), second.sink);
    await held;
    // then it ran on the smaller buffers, both sent the whole file, and every buffer is back
    assert.equal(small.idle, 2);
    assert.equal(larger.idle, 2);
    assert.equal(larger.spare, 2);
    assert.deepEqual(first.bytes(), data);
    assert.deepEqual(second.bytes(), data);
  });
});

describe('AppendSink', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simfra-append-sink-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const digester = () => {
    let size = 0;
    return { update: (b: Buffer) => void (size += b.length), get size() { return size; } };
  };
  const write = (sink: AppendSink, chunk: Buffer) =>
    new Promise<void>((resolve, reject) => sink.write(chunk, (e) => (e ? reject(e) : resolve())));

  it('writes the chunks it holds when asked to release them, before its batch is full', async () => {
    // given a sink batching 1 MiB, holding 10 KiB
    const path = join(dir, 'release');
    const sink = new AppendSink(openSync(path, 'a'), digester(), { tooLarge: () => new Error('too large'), syncEvery: 1 << 30, batchBytes: 1 << 20 });
    const part = randomBytes(10 * 1024);
    await write(sink, part);
    assert.equal(readFileSync(path).length, 0);
    // when it is asked to release them
    sink.releaseChunks();
    // then they are in the file, and what follows is appended after them
    assert.deepEqual(readFileSync(path), part);
    const rest = randomBytes(100);
    await write(sink, rest);
    await new Promise<void>((resolve) => sink.end(resolve));
    assert.deepEqual(readFileSync(path), Buffer.concat([part, rest]));
    // and, with no last fdatasync asked for, the fd is closed at the end
    assert.equal(sink.durable(), undefined);
    assert.equal(sink.fileClosed, true);
  });

  it('tells the collector when it starts holding chunks, and how much it wrote', async () => {
    // given a sink batching 16 KiB, reporting to a recorder
    const path = join(dir, 'told');
    const told: number[] = [];
    const sink = new AppendSink(openSync(path, 'a'), digester(), {
      tooLarge: () => new Error('too large'),
      syncEvery: 1 << 30,
      batchBytes: 16 * 1024,
      received: (bytes, from, last) => {
        assert.equal(from, sink);
        told.push(last ? -bytes : bytes);
      },
    });
    // when 10 KiB, 10 KiB (a batch is full) and 1 KiB arrive, and the upload ends
    for (const size of [10, 10, 1]) await write(sink, randomBytes(size * 1024));
    await new Promise<void>((resolve) => sink.end(resolve));
    // then it said so on its first chunk, wrote 20 KiB, said so again, and wrote the last 1 KiB
    // as its last write (told here as a negative size)
    assert.deepEqual(told, [0, 20 * 1024, 0, -1024]);
    assert.equal(readFileSync(path).length, 21 * 1024);
  });

  it('fails the upload when a writeback fdatasync fails', { timeout: 10_000 }, async () => {
    // given a sink on a FIFO (written like a file, but fdatasync refuses it), syncing every KiB
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sink = new AppendSink(openSync(fifo, 'r+'), digester(), { tooLarge: () => new Error('too large'), syncEvery: 1024, batchBytes: 1024 });
    const errored = once(sink, 'error');
    // when 2 KiB arrive (a batch, so a writeback) and the upload ends
    await write(sink, randomBytes(2048));
    sink.end();
    // then the upload fails with the fdatasync's error, and the fd is closed
    const [error] = (await errored) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'EINVAL');
    assert.equal(error.syscall, 'fdatasync');
    assert.equal(sink.fileClosed, true);
  });

  it('finishes before its last fdatasync, and reports that fdatasync by durable', { timeout: 10_000 }, async () => {
    // given a sink on a FIFO (fdatasync refuses it) that never syncs while bytes arrive
    const fifo = join(dir, 'fifo-last');
    execFileSync('mkfifo', [fifo]);
    const sink = new AppendSink(openSync(fifo, 'r+'), digester(), { tooLarge: () => new Error('too large'), syncEvery: 1 << 30, lastSyncFrom: 1024, batchBytes: 1024 });
    await write(sink, randomBytes(2048));
    assert.equal(sink.durable(), undefined);
    // when the upload ends, it finishes without waiting for the last fdatasync
    await new Promise<void>((resolve, reject) => sink.end(() => resolve()).once('error', reject));
    // then durable reports that fdatasync's failure, and the fd is closed
    await assert.rejects(async () => sink.durable(), { code: 'EINVAL', syscall: 'fdatasync' });
    assert.equal(sink.fileClosed, true);
  });

  it('reports a failed release to the next write', async () => {
    // given a sink whose file cannot be written (opened read-only), holding a chunk
    const path = join(dir, 'read-only');
    await writeFile(path, '');
    const sink = new AppendSink(openSync(path, 'r'), digester(), { tooLarge: () => new Error('too large'), syncEvery: 1 << 30, batchBytes: 1 << 20 });
    const errored = once(sink, 'error');
    await write(sink, Buffer.from('held'));
    // when it is asked to release them, nothing throws there
    assert.doesNotThrow(() => sink.releaseChunks());
    // then the next write fails with the file system's error
    await assert.rejects(write(sink, Buffer.from('more')), { code: 'EBADF' });
    const [error] = (await errored) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'EBADF');
    assert.equal(sink.fileClosed, true);
  });
});
