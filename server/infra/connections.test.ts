import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { makeAudio } from '../../test/support/audio.js';

// Connection hygiene for a server that faces the network: silent clients are cut, progressing uploads
// are not, and one address cannot hold every socket. 127.0.0.2 is loopback too on Linux, but only
// 127.0.0.1 and ::1 are exempt from the per-client cap, so it stands in for a remote client.
let t: TestApp;
let port: number;
let owner: string;
let fixtures: string;

beforeAll(async () => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-connections-'));
  t = await makeTestApp({ VEZA_IDLE_TIMEOUT_S: '1', VEZA_MAX_CONNECTIONS_PER_CLIENT: '4', VEZA_HLS: 'false' });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as net.AddressInfo).port;
  t.app.hostPolicy.bindPort(port);
  owner = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(fixtures, { recursive: true, force: true });
});

function open(localAddress = '127.0.0.2'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: net.Socket) => new Promise<number>((resolve) => {
  const started = Date.now();
  socket.once('close', () => resolve(Date.now() - started));
});

it('a client that goes silent mid-request is disconnected after the idle timeout', async () => {
  const socket = await open();
  socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user`);
  expect(await closed(socket)).toBeLessThan(4000);
});

it('an upload that keeps progressing for longer than the idle timeout is not cut', { timeout: 30_000 }, async () => {
  const audio = fs.readFileSync(makeAudio(fixtures, 'slow.wav', { seconds: 2 }));
  const boundary = 'slowupload';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, audio, tail]);
  const socket = await open();
  const done = closed(socket);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.write(
    `POST /api/v1/tracks HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${owner}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  // 3 s in 10 slices: well past the 1 s idle timeout in total, never silent for long.
  const slice = Math.ceil(body.length / 10);
  for (let offset = 0; offset < body.length; offset += slice) {
    socket.write(body.subarray(offset, offset + slice));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await done;
  expect(answer).toMatch(/^HTTP\/1\.1 201 /);
});

it('one address may hold only its share of connections; loopback (the desktop window) is exempt', async () => {
  const held = await Promise.all(Array.from({ length: 4 }, () => open()));
  const extra = await open();
  expect(await closed(extra)).toBeLessThan(1000);
  const local = await Promise.all(Array.from({ length: 6 }, () => open('127.0.0.1')));
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
  expect(res.status).toBe(200);
  for (const socket of [...held, ...local]) socket.destroy();
  // A released slot is usable again.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const again = await open();
  again.write(`GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  let answer = '';
  again.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await closed(again);
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
});
