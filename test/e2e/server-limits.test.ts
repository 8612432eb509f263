/**
 * Connection limits of the one server: slow headers, idle sockets and too many connections
 * cannot starve it, while a slow upload that keeps moving still goes through.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { startServer } from '../support/server.js';

/** A raw TCP connection that records what it receives and when it closes. */
function rawSocket(port: number): Promise<{ socket: Socket; received(): string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const started = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)));
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('connection limits', () => {
  it('closes sockets whose headers do not arrive in time, with 408', { timeout: 15_000 }, async () => {
    // given a server with a 500 ms header timeout
    const server = await startServer({ headersTimeoutMs: 500 });
    try {
      // when 5 clients send half a request line and headers, then stop
      const sockets = await Promise.all(Array.from({ length: 5 }, () => rawSocket(server.port)));
      for (const s of sockets) s.socket.write('GET /v2/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      // then each is answered 408 and closed soon after the timeout
      const closedAfter = await Promise.all(sockets.map((s) => s.closed));
      for (const [i, ms] of closedAfter.entries()) {
        assert.ok(ms < 3_000, `socket ${i} closed after ${ms} ms`);
        assert.match(sockets[i]!.received(), /^HTTP\/1\.1 408 /);
      }
      // and the server still answers
      assert.equal((await fetch(`${server.url}/v2/`)).status, 401);
    } finally {
      await server.close();
    }
  });

  it('closes a connection that sends nothing for the idle timeout', { timeout: 15_000 }, async () => {
    // given
    const server = await startServer({ idleTimeoutMs: 1_000, headersTimeoutMs: 60_000 });
    try {
      // when a client connects and stays silent
      const s = await rawSocket(server.port);
      // then the server closes it after about a second
      const ms = await s.closed;
      assert.ok(ms >= 900 && ms < 4_000, `closed after ${ms} ms`);
    } finally {
      await server.close();
    }
  });

  it('refuses connections over the cap and keeps serving the open ones', { timeout: 15_000 }, async () => {
    // given a server capped at 10 connections, all taken
    const server = await startServer({ maxConnections: 10 });
    const open = await Promise.all(Array.from({ length: 10 }, () => rawSocket(server.port)));
    try {
      await sleep(100);
      // when an 11th client connects
      const extra = await rawSocket(server.port);
      // then it is closed at once without an answer
      const ms = await extra.closed;
      assert.ok(ms < 1_000, `closed after ${ms} ms`);
      assert.equal(extra.received(), '');
      // and a connection already open is still served
      const first = open[0]!;
      first.socket.write('GET /v2/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      await first.closed;
      assert.match(first.received(), /^HTTP\/1\.1 401 /);
      // and once connections close, new ones are accepted again
      for (const s of open.slice(1)) s.socket.destroy();
      await Promise.all(open.map((s) => s.closed));
      await sleep(50);
      assert.equal((await fetch(`${server.url}/v2/`)).status, 401);
    } finally {
      for (const s of open) s.socket.destroy();
      await server.close();
    }
  });

  it('lets a slow upload that keeps sending bytes run past the idle timeout', { timeout: 30_000 }, async () => {
    // given a 1 s idle timeout and a repository
    const server = await startServer({ idleTimeoutMs: 1_000 });
    try {
      const ecr = ecrClient(server.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'slow' }));
      ecr.destroy();
      const reg = new Registry(server.port, await loginPassword(server.url));
      // when a blob trickles in, 1 KiB every 250 ms for 3 s (three idle timeouts in total)
      const parts = Array.from({ length: 12 }, (_, i) => Buffer.alloc(1024, i));
      const blob = Buffer.concat(parts);
      const body = Readable.from(
        (async function* () {
          for (const p of parts) {
            await sleep(250);
            yield p;
          }
        })(),
      );
      const started = Date.now();
      const res = await reg.request('POST', `/v2/slow/blobs/uploads/?digest=${sha256(blob)}`, { body });
      // then it is stored
      assert.equal(res.status, 201, res.text);
      assert.ok(Date.now() - started > 2_500);
      const head = await reg.request('HEAD', `/v2/slow/blobs/${sha256(blob)}`);
      assert.equal(head.headers['content-length'], String(blob.length));
    } finally {
      await server.close();
    }
  });
});
