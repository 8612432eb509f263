/**
 * What an AWS API request body may cost the server: nothing before the caller is known, at most
 * what its operation can carry, and a bounded total across requests; a refusal closes the
 * connection at once instead of leaving the client waiting.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, InitiateLayerUploadCommand, UploadLayerPartCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { ROOT, startServer, type TestServer } from '../support/server.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const MiB = 1024 * 1024;
/** Passes the header checks (known key, well-formed); the signature itself is checked after the body. */
const KNOWN_KEY_AUTH = `AWS4-HMAC-SHA256 Credential=${ROOT.accessKeyId}/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

interface Raw {
  socket: Socket;
  received(): string;
  /** Resolves with the ms from connect to close. */
  closed: Promise<number>;
  /** Resolves once a whole response head has arrived, with the ms it took. */
  answered: Promise<number>;
}

function raw(port: number, head: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let data = '';
    let onAnswer: (ms: number) => void = () => undefined;
    const answered = new Promise<number>((r) => (onAnswer = r));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - started)));
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\r\n\r\n')) onAnswer(Date.now() - started);
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(head);
      resolve({ socket, received: () => data, closed, answered });
    });
    socket.once('error', reject);
  });
}

function requestHead(opts: { target?: string; authorization?: string; contentLength?: number; chunked?: boolean }): string {
  const lines = [
    'POST / HTTP/1.1',
    'Host: localhost',
    'Content-Type: application/x-amz-json-1.1',
    `X-Amz-Target: ${TARGET}.${opts.target ?? 'DescribeRepositories'}`,
    'X-Amz-Date: 20240101T000000Z',
  ];
  if (opts.authorization !== undefined) lines.push(`Authorization: ${opts.authorization}`);
  if (opts.contentLength !== undefined) lines.push(`Content-Length: ${opts.contentLength}`);
  if (opts.chunked === true) lines.push('Transfer-Encoding: chunked');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const chunk = (bytes: Buffer): string => `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;

function jsonBody(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

describe('AWS request bodies', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ maxBufferedBodyBytes: 40 * MiB });
  });
  after(() => server.close());

  it('refuses an unsigned request before reading its body, and closes the connection', { timeout: 15_000 }, async () => {
    // given a request that announces 31 MiB and sends none of it
    const r = await raw(server.port, requestHead({ contentLength: 31 * MiB }));
    // when / then the answer comes at once and the connection closes
    assert.ok((await r.answered) < 2_000);
    await r.closed;
    assert.match(r.received(), /^HTTP\/1\.1 403 /);
    assert.match(r.received(), /\r\nconnection: close\r\n/i);
    assert.deepEqual(jsonBody(r.received()), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('refuses an unknown access key before reading the body', { timeout: 15_000 }, async () => {
    // given
    const auth = KNOWN_KEY_AUTH.replace(ROOT.accessKeyId, 'AKIANOTAKNOWNKEY0000');
    const r = await raw(server.port, requestHead({ authorization: auth, contentLength: 31 * MiB }));
    // when / then
    assert.ok((await r.answered) < 2_000);
    await r.closed;
    assert.match(r.received(), /^HTTP\/1\.1 400 /);
    assert.deepEqual(jsonBody(r.received()), {
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('caps a body at what its operation can carry', { timeout: 15_000 }, async () => {
    // given a DescribeRepositories that declares 2 MiB (its inputs fit in far less)
    const r = await raw(server.port, requestHead({ authorization: KNOWN_KEY_AUTH, contentLength: 2 * MiB }));
    // when / then 413 at once, without the body, and the connection closes
    assert.ok((await r.answered) < 2_000);
    await r.closed;
    assert.match(r.received(), /^HTTP\/1\.1 413 /);
  });

  it('answers a chunked body over the cap promptly with 413 and closes the connection', { timeout: 15_000 }, async () => {
    // given a chunked DescribeRepositories body that goes past 1 MiB and never ends
    const r = await raw(server.port, requestHead({ authorization: KNOWN_KEY_AUTH, chunked: true }));
    const piece = Buffer.alloc(256 * 1024, 0x20);
    for (let i = 0; i < 6 && !r.socket.destroyed; i++) {
      r.socket.write(chunk(piece));
      await sleep(10);
    }
    // when / then
    const ms = await r.answered;
    assert.ok(ms < 3_000, `answered after ${ms} ms`);
    const closedAfter = await r.closed;
    assert.ok(closedAfter < 5_000, `closed after ${closedAfter} ms`);
    assert.match(r.received(), /^HTTP\/1\.1 413 /);
    assert.match(r.received(), /\r\nconnection: close\r\n/i);
  });

  it('still takes an UploadLayerPart of 20 MiB, the most a part may carry', { timeout: 60_000 }, async () => {
    // given
    const ecr = ecrClient(server.url);
    try {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'body-limits' }));
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'body-limits' }));
      // when
      const part = await ecr.send(
        new UploadLayerPartCommand({ repositoryName: 'body-limits', uploadId, partFirstByte: 0, partLastByte: 20 * MiB - 1, layerPartBlob: Buffer.alloc(20 * MiB, 7) }),
      );
      // then
      assert.equal(part.lastByteReceived, 20 * MiB - 1);
    } finally {
      ecr.destroy();
    }
  });

  it('throttles bodies past the server-wide budget instead of buffering them, and recovers', { timeout: 15_000 }, async () => {
    // given an UploadLayerPart holding 26 MiB of the 40 MiB budget, its body still coming
    const holding = await raw(server.port, requestHead({ target: 'UploadLayerPart', authorization: KNOWN_KEY_AUTH, contentLength: 26 * MiB }));
    holding.socket.write(Buffer.alloc(1024, 0x20));
    await sleep(100);
    // when a second one declares 26 MiB more
    const second = await raw(server.port, requestHead({ target: 'UploadLayerPart', authorization: KNOWN_KEY_AUTH, contentLength: 26 * MiB }));
    // then it is throttled at once, unread, as ECR throttles
    assert.ok((await second.answered) < 2_000);
    await second.closed;
    assert.match(second.received(), /^HTTP\/1\.1 400 /);
    assert.deepEqual(jsonBody(second.received()), { __type: 'ThrottlingException', message: 'Rate exceeded' });
    // and once the first client goes away its share is given back
    holding.socket.destroy();
    await holding.closed;
    await sleep(100);
    const third = await raw(server.port, requestHead({ target: 'UploadLayerPart', authorization: KNOWN_KEY_AUTH, contentLength: 26 * MiB }));
    await sleep(300);
    assert.equal(third.received(), '', 'a request within the budget is read, not refused');
    third.socket.destroy();
    const ecr = ecrClient(server.url);
    try {
      assert.ok(Array.isArray((await ecr.send(new DescribeRepositoriesCommand({}))).repositories));
    } finally {
      ecr.destroy();
    }
  });
});
