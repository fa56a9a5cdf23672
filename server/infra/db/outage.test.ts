import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_ID } from '../../../src/shared/chat.js';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.js';
import { startSocketApp } from '../../../test/support/socket-app.js';
import { ChatRepository } from '../../features/chat/chat.repository.js';

describe('PostgreSQL outage', () => {
  let postgres: TestPostgres;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    t = await makeTestApp({ VEZA_DATABASE_URL: postgres.url });
    token = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    postgres?.stop();
  });

  const me = () => t.request({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const health = () => t.request({ method: 'GET', url: '/api/v1/health' });

  it('answers 503 problems while PostgreSQL is down, does not exit, and recovers without a restart', async () => {
    expect((await me()).statusCode).toBe(200);
    postgres.pause();

    const down = await health();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'down', checks: { db: { ok: false } } });
    const refused = await me();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    postgres.start();
    await expect.poll(async () => (await health()).statusCode, { timeout: 15_000 }).toBe(200);
    await expect.poll(async () => (await me()).statusCode, { timeout: 15_000 }).toBe(200);
  }, 60_000);

  it('a socket send during the outage is refused with the same SERVICE_UNAVAILABLE as REST (the app retries it), and succeeds after', async () => {
    const server = await startSocketApp({ VEZA_DATABASE_URL: postgres.url });
    try {
      const carol = await server.signUp(`carol${Date.now()}`);
      const socket = await server.connect(carol.token);
      const send = (clientId: string) => socket.timeout(8000).emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: clientId, content: 'during the outage' });
      expect((await send(randomUUID())).ok).toBe(true);

      postgres.pause();
      const clientId = randomUUID();
      try {
        const refused = await send(clientId);
        expect(refused).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('database is unavailable') } });
        const rest = await fetch(`${server.url}/api/v1/rooms`, { headers: { authorization: `Bearer ${carol.token}` } });
        expect(rest.status).toBe(503);
        expect(((await rest.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
      } finally {
        postgres.start();
      }
      // The same client_id, retried: stored once.
      await expect.poll(async () => (await send(clientId)).ok, { timeout: 15_000, interval: 500 }).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('a batch of sends whose commit fails is refused as a whole, and retried with the same client_ids it is stored once, in order', async () => {
    const repo = new ChatRepository(t.app.db.db, 'postgres');
    const userId = randomUUID();
    await t.app.db.db.insertInto('users').values({ id: userId, username: `batch${Date.now()}`, display_name: 'b', password_hash: null, role: 'member', created_at: new Date().toISOString() }).execute();
    const messages = Array.from({ length: 6 }, (_, i) => ({ id: randomUUID(), room_id: DEFAULT_ROOM_ID, user_id: userId, client_id: `c${i}`, content: `m${i}`, track_id: null, track_time_s: null, created_at: new Date().toISOString() }));

    postgres.pause();
    try {
      const refused = await Promise.allSettled(messages.map((m) => repo.insertMessage(m)));
      expect(refused.map((outcome) => outcome.status)).toEqual(messages.map(() => 'rejected'));
    } finally {
      postgres.start();
    }
    await expect.poll(async () => (await health()).statusCode, { timeout: 15_000 }).toBe(200);
    const retried = await Promise.all(messages.map((m) => repo.insertMessage({ ...m, id: randomUUID() })));
    expect(retried.every((result) => result.isNew)).toBe(true); // nothing of the failed batch was kept
    const again = await Promise.all(messages.map((m) => repo.insertMessage({ ...m, id: randomUUID() })));
    expect(again.map((result) => [result.isNew, result.row.id])).toEqual(retried.map((result) => [false, result.row.id]));
    const seqs = retried.map((result) => Number(result.row.seq));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  }, 60_000);
});
