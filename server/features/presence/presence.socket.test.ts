import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Presence } from '../../../src/shared/chat.js';
import { waitFor } from '../../../test/support/free-port.js';
import { newToken } from '../../infra/auth/tokens.js';
import { nextPresence, onPresence, type SocketTestApp, startSocketApp } from '../../../test/support/socket-app.js';

const TRACK_ID = randomUUID();
const lookupTrackName = async (id: string) => (id === TRACK_ID ? 'Night Drive' : null);

for (const kvKind of ['memory', 'redis'] as const) {
  describe(`presence over socket.io [${kvKind}]`, () => {
    let server: SocketTestApp;
    afterEach(async () => {
      await server.close();
    });

    it('online → listening → offline across two tabs of one user', async () => {
      const env: Record<string, string> = kvKind === 'redis' ? { VEZA_REDIS_URL: inject('redisUrl') } : {};
      server = await startSocketApp(env, { lookupTrackName, chat: { offlineGraceMs: 200 } });
      const alice = await server.signUp(`alice${randomUUID().slice(0, 8)}`);
      const bob = await server.signUp(`bob${randomUUID().slice(0, 8)}`);
      const host = new URL(server.url).host;
      const lookup = async (): Promise<Presence> =>
        (
          await server.app.inject({
            method: 'GET',
            url: `/api/v1/users/${alice.user.id}/presence`,
            headers: { host, authorization: `Bearer ${bob.token}` },
          })
        ).json();

      const bobSocket = await server.connect(bob.token);
      expect(await lookup()).toMatchObject({ status: 'offline', last_seen: null });
      const updates: Presence[] = [];
      onPresence(bobSocket, (p) => p.user_id === alice.user.id && updates.push(p));

      const online = nextPresence(bobSocket, (p) => p.user_id === alice.user.id && p.status === 'online');
      const tab1 = await server.connect(alice.token);
      expect(await online).toMatchObject({ status: 'online', track_id: null });

      const tab2 = await server.connect(alice.token);
      const listening = nextPresence(bobSocket, (p) => p.user_id === alice.user.id && p.track_id === TRACK_ID);
      const ack = await tab2.emitWithAck('presence:listening', { track_id: TRACK_ID });
      expect(ack).toMatchObject({ ok: true, presence: { track_name: 'Night Drive' } });
      expect(await listening).toMatchObject({ status: 'online', track_id: TRACK_ID, track_name: 'Night Drive' });
      expect(await lookup()).toMatchObject({ status: 'online', track_id: TRACK_ID, track_name: 'Night Drive' });

      // One tab closes: still online (the other tab is there), no offline broadcast.
      tab1.disconnect();
      await waitFor(async () => (await server.app.io.in(`user:${alice.user.id}`).fetchSockets()).length === 1, { what: 'tab1 gone' });
      expect(await lookup()).toMatchObject({ status: 'online' });

      const offline = nextPresence(bobSocket, (p) => p.user_id === alice.user.id && p.status === 'offline');
      tab2.disconnect();
      const final = await offline;
      expect(final).toMatchObject({ status: 'offline', track_id: null, track_name: null });
      expect(Date.parse(final.last_seen!)).toBeGreaterThan(Date.now() - 10_000);
      expect(await lookup()).toMatchObject({ status: 'offline', last_seen: final.last_seen });
      expect(updates.map((p) => p.status)).toEqual(['online', 'online', 'offline']);

      const missing = await server.app.inject({
        method: 'GET',
        url: `/api/v1/users/${randomUUID()}/presence`,
        headers: { host, authorization: `Bearer ${bob.token}` },
      });
      expect(missing.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });

    it('a reconnect within the grace period shows no offline flap and keeps "listening to"; offline comes a grace period after the last socket', async () => {
      const graceMs = 1500;
      const env: Record<string, string> = kvKind === 'redis' ? { VEZA_REDIS_URL: inject('redisUrl') } : {};
      server = await startSocketApp(env, { lookupTrackName, chat: { offlineGraceMs: graceMs } });
      const alice = await server.signUp(`alice${randomUUID().slice(0, 8)}`);
      const bob = await server.signUp(`bob${randomUUID().slice(0, 8)}`);
      const bobSocket = await server.connect(bob.token);
      const statuses: string[] = [];
      onPresence(bobSocket, (p) => p.user_id === alice.user.id && statuses.push(p.status));

      const online = nextPresence(bobSocket, (p) => p.user_id === alice.user.id && p.status === 'online');
      const first = await server.connect(alice.token);
      await online;
      await first.emitWithAck('presence:listening', { track_id: TRACK_ID });

      // The network drops and the client comes back well within the grace period.
      first.disconnect();
      const back = await server.connect(alice.token);
      await new Promise((resolve) => setTimeout(resolve, graceMs + 500));
      expect(statuses).toEqual(['online', 'online']); // online, then listening: no offline, no second online
      expect(await server.app.presence.get(alice.user.id)).toMatchObject({ status: 'online', track_name: 'Night Drive' });

      // Gone for good: offline, but only once the grace period has passed.
      const offline = nextPresence(bobSocket, (p) => p.user_id === alice.user.id && p.status === 'offline');
      const leftAt = Date.now();
      back.disconnect();
      await offline;
      expect(Date.now() - leftAt).toBeGreaterThanOrEqual(graceMs - 50);
      expect(statuses).toEqual(['online', 'online', 'offline']);
    });
  });
}

describe('presence over socket.io, shutdown', () => {
  let server: SocketTestApp;
  afterEach(async () => {
    await server.close();
  });

  it('a closing server drops its pending offline checks: nothing runs on the closed app', async () => {
    server = await startSocketApp({}, { chat: { offlineGraceMs: 300 } });
    const alice = await server.signUp(`alice${randomUUID().slice(0, 8)}`);
    const presence = server.app.presence;
    const socket = await server.connect(alice.token);
    await waitFor(async () => (await presence.get(alice.user.id)).status === 'online', { what: 'online' });
    socket.disconnect();
    await waitFor(async () => (await server.app.io.in(`user:${alice.user.id}`).fetchSockets()).length === 0, { what: 'socket gone' });
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 600));
    // The in-memory store outlives the app here: a check that had run would have taken alice offline.
    expect(await presence.get(alice.user.id)).toMatchObject({ status: 'online' });
  });
});

describe('presence of a crowd', () => {
  let server: SocketTestApp;
  afterEach(async () => {
    await server.close();
  });

  it('200 users arriving at once reach an observer in a few per-room batches, not one event each, and all end online', async () => {
    server = await startSocketApp();
    const observer = await server.connect((await server.signUp(`watcher${randomUUID().slice(0, 8)}`)).token);
    // Accounts straight into the database: 200 scrypt sign-ups would queue behind the password limiter.
    const crowd: Array<{ user: { id: string }; token: string }> = [];
    const now = new Date().toISOString();
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      await server.app.db.db.insertInto('users').values({ id, username: `crowd-${id}`, display_name: `crowd ${i}`, password_hash: null, role: 'member', created_at: now }).execute();
      const { token, hash } = newToken();
      await server.app.db.db.insertInto('auth_tokens').values({ token_hash: hash, user_id: id, kind: 'session', created_at: now, expires_at: '2999-01-01T00:00:00.000Z' }).execute();
      crowd.push({ user: { id }, token });
    }
    const latest = new Map<string, string>();
    let batches = 0;
    observer.on('presence:updates', (updates) => {
      batches += 1;
      for (const update of updates) latest.set(update.user_id, update.status);
    });
    await Promise.all(crowd.map((member) => server.connect(member.token)));
    await waitFor(async () => crowd.every((member) => latest.get(member.user.id) === 'online'), { timeoutMs: 10_000, what: 'the whole crowd online' });
    expect(batches).toBeLessThan(40);
  });
});
