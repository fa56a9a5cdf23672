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
});
