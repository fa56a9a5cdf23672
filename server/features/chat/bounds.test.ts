import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SOCKET_PATH } from '../../../src/shared/routes.js';
import { type ClientSocket, type SocketTestApp, startSocketApp } from '../../../test/support/socket-app.js';

/** What one account or one address may hold or do: none of it may crowd out everybody else. */
describe('per-user and per-address bounds', () => {
  let server: SocketTestApp;
  afterEach(async () => {
    await server.close();
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('the 21st socket of one account is refused with a clear RATE_LIMITED, and a closed one makes room', async () => {
    server = await startSocketApp();
    const { token } = await server.signUp(`tabs${randomUUID().slice(0, 8)}`);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => server.connect(token)));
    const refused = await server.connect(token).then(
      () => null,
      (error: Error & { data?: { code: string } }) => error,
    );
    expect(refused?.data?.code).toBe('RATE_LIMITED');
    expect(refused?.message).toMatch(/at most 20/);
    // Someone else is not affected.
    await expect(server.connect((await server.signUp(`other${randomUUID().slice(0, 8)}`)).token)).resolves.toBeTruthy();
    sockets[0]!.disconnect();
    await expect.poll(() => server.connect(token).then(() => true, () => false), { timeout: 5000 }).toBe(true);
  });

  it('room:join is limited to 10 per second and room creation to 10 per minute per user', async () => {
    server = await startSocketApp();
    const { token } = await server.signUp(`rooms${randomUUID().slice(0, 8)}`);
    const created: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.url}/api/v1/rooms`, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ name: `room ${i}` }) });
      expect(response.status).toBe(201);
      created.push(((await response.json()) as { id: string }).id);
    }
    const eleventh = await fetch(`${server.url}/api/v1/rooms`, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'one too many' }) });
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);

    const socket: ClientSocket = await server.connect(token);
    const joins = await Promise.all(Array.from({ length: 12 }, (_, i) => socket.emitWithAck('room:join', { room_id: created[i % created.length]! })));
    expect(joins.filter((ack) => ack.ok)).toHaveLength(10);
    expect(joins.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED')).toHaveLength(2);
  });

  it('GET /rooms is paginated: your rooms first, then the others, with the total', async () => {
    server = await startSocketApp();
    const mine = await server.signUp(`pager${randomUUID().slice(0, 8)}`);
    const other = await server.signUp(`other${randomUUID().slice(0, 8)}`);
    for (const name of ['theirs 1', 'theirs 2', 'theirs 3']) await server.app.chat.createRoom(other.user, name);
    await server.app.chat.createRoom(mine.user, 'mine');
    const page = async (query: string) => (await (await fetch(`${server.url}/api/v1/rooms${query}`, { headers: auth(mine.token) })).json()) as { rooms: Array<{ name: string; is_member: boolean }>; total: number };

    const first = await page('?limit=2');
    expect(first.total).toBe(5);
    expect(first.rooms.map((room) => [room.name, room.is_member])).toEqual([['General', true], ['mine', true]]);
    const rest = await page('?limit=10&offset=2');
    expect(rest.rooms.map((room) => [room.name, room.is_member]).sort()).toEqual([['theirs 1', false], ['theirs 2', false], ['theirs 3', false]]);
    expect((await fetch(`${server.url}/api/v1/rooms?limit=501`, { headers: auth(mine.token) })).status).toBe(400);
  });

  it('an engine.io session that never connects to the namespace is closed after the connect timeout (10 s)', async () => {
    server = await startSocketApp();
    const handshake = await fetch(`${server.url}${SOCKET_PATH}/?EIO=4&transport=polling`);
    const { sid } = JSON.parse((await handshake.text()).slice(1)) as { sid: string };
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    // An open session would hold this poll until its next ping (25 s); a closed one answers at once with
    // engine.io's close packet ("1", after a noop), and forgets the session id after that.
    const poll = () => fetch(`${server.url}${SOCKET_PATH}/?EIO=4&transport=polling&sid=${sid}`, { signal: AbortSignal.timeout(3000) });
    expect((await (await poll()).text()).split('\x1e')).toContain('1');
    const after = await poll();
    expect(after.status).toBe(400);
    expect(await after.text()).toContain('Session ID unknown');
  }, 20_000);
});

describe('sign-ups per client address', () => {
  let server: SocketTestApp;
  afterEach(async () => {
    await server.close();
  });

  it('20 new accounts per hour from one address behind a trusted proxy; the 21st waits, another address does not', async () => {
    server = await startSocketApp({ VEZA_TRUSTED_PROXIES: '127.0.0.1' });
    const register = (from: string, username: string) =>
      fetch(`${server.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
        body: JSON.stringify({ username, password: 'correct horse battery' }),
      });
    const tag = randomUUID().slice(0, 6);
    for (let i = 0; i < 20; i++) expect((await register('203.0.113.7', `crowd${i}x${tag}`)).status).toBe(201);
    const refused = await register('203.0.113.7', `one-more-${tag}`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await register('198.51.100.2', `elsewhere-${tag}`)).status).toBe(201);
  }, 60_000);
});
