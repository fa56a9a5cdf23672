import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { userRoom } from './socket.js';

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  t.app.hostPolicy.bindPort(port);
  return `http://127.0.0.1:${port}`;
}

describe('socket.io across instances (team mode, Redis Streams adapter)', () => {
  let a: TestApp;
  let b: TestApp;
  let socketOnB: Socket;
  let ownerId: string;

  beforeAll(async () => {
    const env = { VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')), VEZA_REDIS_URL: inject('redisUrl') };
    a = await makeTestApp(env);
    b = await makeTestApp(env);
    await listen(a);
    const urlB = await listen(b);
    const token = await a.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
    ownerId = (await a.app.accounts.authenticate(token))!.id;
    socketOnB = connect(urlB, { path: '/api/v1/ws', auth: { token }, transports: ['websocket'] });
    await new Promise<void>((resolve, reject) => {
      socketOnB.once('connect', resolve);
      socketOnB.once('connect_error', reject);
    });
  });
  afterAll(async () => {
    socketOnB?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('an event emitted to a user room on instance A reaches the user connected to instance B', async () => {
    const received = new Promise((resolve) => socketOnB.once('hello', resolve));
    // The adapter's stream reader starts asynchronously; retry the emit until B has picked it up.
    const timer = setInterval(() => a.app.io.to(userRoom(ownerId)).emit('hello', { from: 'A' }), 100);
    try {
      await expect(received).resolves.toEqual({ from: 'A' });
    } finally {
      clearInterval(timer);
    }
  });

  it('instance A sees the sockets connected to instance B', async () => {
    await expect.poll(async () => (await a.app.io.in(userRoom(ownerId)).fetchSockets()).length, { timeout: 5000 }).toBe(1);
  });
});
