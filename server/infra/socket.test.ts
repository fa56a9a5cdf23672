import http from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../test/support/app.js';

describe('socket.io handshake', () => {
  let t: TestApp;
  let url: string;
  let token: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await makeTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    t.app.hostPolicy.bindPort(port);
    url = `http://127.0.0.1:${port}`;
    token = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t.close();
  });

  /** Resolves 'connected' or the connect_error message. */
  function attempt(options: { token?: string; origin?: string; transport?: 'websocket' | 'polling' }): Promise<string> {
    const socket = connect(url, {
      path: '/api/v1/ws',
      auth: options.token ? { token: options.token } : {},
      transports: [options.transport ?? 'websocket'],
      extraHeaders: options.origin ? { origin: options.origin } : {},
      reconnection: false,
    });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) => resolve(error.message));
    });
  }

  it('accepts a valid token from the app origin', async () => {
    expect(await attempt({ token, origin: url })).toBe('connected');
    expect(await attempt({ token, transport: 'polling' })).toBe('connected');
  });

  it('refuses a missing or unknown token', async () => {
    expect(await attempt({})).toBe('Missing or invalid token');
    expect(await attempt({ token: 'x'.repeat(43) })).toBe('Missing or invalid token');
  });

  it.each(['websocket', 'polling'] as const)('refuses a foreign Origin over %s, even with a valid token', async (transport) => {
    expect(await attempt({ token, origin: 'https://evil.test', transport })).not.toBe('connected');
  });

  it('checks Host and Origin on every polling request of an open session, not only at the handshake', async () => {
    const base = `${url}/api/v1/ws/?EIO=4&transport=polling`;
    const handshake = await fetch(base, { headers: { origin: url } });
    expect(handshake.status).toBe(200);
    const { sid } = JSON.parse((await handshake.text()).slice(1)) as { sid: string };
    // node:http, not fetch: fetch will not send a Host of our choosing.
    const poll = (headers: Record<string, string>) =>
      new Promise<{ status: number }>((resolve, reject) => {
        const request = http.request(`${base}&sid=${sid}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode! });
        });
        request.on('error', reject);
        request.end(`40${JSON.stringify({ token })}`);
      });
    const statuses = [(await poll({ origin: 'https://evil.test' })).status, (await poll({ host: 'evil.test' })).status, (await poll({ origin: url })).status];
    expect(statuses).toEqual([400, 400, 200]);
  });
});
