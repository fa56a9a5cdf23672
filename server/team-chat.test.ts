import { randomUUID } from 'node:crypto';
import { io as connectClient } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_ID, type Message } from '../src/shared/chat.js';
import type { AckResult } from '../src/shared/socket-events.js';
import { signUp, startTeam } from '../test/support/cluster.js';
import { startRedis, type TestRedis } from '../test/support/redis.js';
import { type ClientSocket, nextEvent, nextPresence, onPresence } from '../test/support/socket-app.js';

type Team = Awaited<ReturnType<typeof startTeam>>;

const clients: ClientSocket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function connect(url: string, token: string): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const client: ClientSocket = connectClient(url, { path: '/api/v1/ws', auth: { token }, transports: ['websocket'], forceNew: true });
    clients.push(client);
    client.once('connect', () => resolve(client));
    client.once('connect_error', reject);
  });
}

/** Emits with an acknowledgement; a lost ack fails the test instead of hanging it. */
function request<T extends object>(socket: ClientSocket, event: string, payload: unknown, timeoutMs = 5000): Promise<AckResult<T>> {
  return (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<AckResult<T>> }).emitWithAck(event, payload);
}

async function joinGeneral(socket: ClientSocket) {
  expect((await request(socket, 'room:join', { room_id: DEFAULT_ROOM_ID })).ok).toBe(true);
}

/** A member on instance A and one on instance B, each connected and in General. */
async function membersOnAandB(team: Team, names: [string, string]) {
  const [a, b] = team.instances.map((i) => i.url) as [string, string];
  const first = await signUp(a, names[0]);
  const second = await signUp(b, names[1]);
  const onA = await connect(a, first.token);
  const onB = await connect(b, second.token);
  await joinGeneral(onA);
  await joinGeneral(onB);
  return { first, onA, onB };
}

const send = (socket: ClientSocket, content: string, clientId: string = randomUUID()) =>
  request<{ message: Message }>(socket, 'message:send', { room_id: DEFAULT_ROOM_ID, client_id: clientId, content });

describe('team mode chat across server processes', () => {
  let team: Team;
  beforeAll(async () => {
    team = await startTeam(3);
  }, 60_000);
  afterAll(() => team?.stop());

  it('a message sent through instance A reaches a member connected to B within 1 s; typing and presence cross too', async () => {
    const { first: ada, onA, onB } = await membersOnAandB(team, ['ada-x', 'ben-x']);

    const arrival = nextEvent(onB, 'message:new', (m) => m.content === 'across instances');
    const sentAt = Date.now();
    const ack = await send(onA, 'across instances');
    expect(ack.ok).toBe(true);
    const received = await arrival;
    expect(Date.now() - sentAt).toBeLessThan(1000);
    expect(received.user_id).toBe(ada.userId);

    const typing = nextEvent(onB, 'typing', (e) => e.user_id === ada.userId);
    onA.emit('typing', { room_id: DEFAULT_ROOM_ID });
    await expect(typing).resolves.toMatchObject({ room_id: DEFAULT_ROOM_ID });

    // Offline comes once the presence grace period (5 s by default) has passed.
    const presence = nextPresence(onB, (p) => p.user_id === ada.userId && p.track_id === null && p.status === 'offline', 15_000);
    onA.disconnect();
    await expect(presence).resolves.toMatchObject({ status: 'offline' });
  });

  it('a user who moves to another instance within the presence grace period is never shown offline and keeps "listening to"', async () => {
    const { first: dee, onA, onB: watcher } = await membersOnAandB(team, ['dee-x', 'eve-x']);
    const statuses: string[] = [];
    onPresence(watcher, (p) => p.user_id === dee.userId && statuses.push(p.status));
    const trackId = randomUUID();
    const listening = nextPresence(watcher, (p) => p.user_id === dee.userId && p.track_id === trackId);
    expect((await request(onA, 'presence:listening', { track_id: trackId })).ok).toBe(true);
    await listening;

    onA.disconnect();
    const onB = await connect(team.instances[1]!.url, dee.token);
    await new Promise((resolve) => setTimeout(resolve, 6500)); // past the 5 s grace of instance A
    expect(statuses).toEqual(['online']); // the listening update; no offline, no second online
    const lookup = await fetch(`${team.instances[2]!.url}/api/v1/users/${dee.userId}/presence`, { headers: { authorization: `Bearer ${dee.token}` } });
    expect(await lookup.json()).toMatchObject({ status: 'online', track_id: trackId });
    onB.disconnect();
  });

  it('the same client_id sent through two instances at once is stored once', async () => {
    const [a, b] = team.instances.map((i) => i.url) as [string, string];
    const cleo = await signUp(a, 'cleo-x');
    const viaA = await connect(a, cleo.token);
    const viaB = await connect(b, cleo.token);
    await joinGeneral(viaA);
    await joinGeneral(viaB);
    const clientId = randomUUID();
    const acks = await Promise.all([send(viaA, 'once', clientId), send(viaB, 'once', clientId), send(viaA, 'once', clientId), send(viaB, 'once', clientId)]);
    const ids = acks.map((ack) => (ack.ok ? ack.message.id : 'refused'));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).not.toBe('refused');
    const history = await request<{ messages: Message[] }>(viaA, 'history:fetch', { room_id: DEFAULT_ROOM_ID, limit: 200 });
    expect(history.ok && history.messages.filter((m) => m.client_id === clientId)).toHaveLength(1);
  });

  it('the send limit is global: 14 sends spread over three instances within a second allow exactly 10', async () => {
    const urls = team.instances.map((i) => i.url);
    const dana = await signUp(urls[0]!, 'dana-x');
    const sockets = await Promise.all(urls.map((url) => connect(url, dana.token)));
    await Promise.all(sockets.map(joinGeneral));
    const acks = await Promise.all(Array.from({ length: 14 }, (_, i) => send(sockets[i % 3]!, `burst ${i}`)));
    expect(acks.filter((ack) => ack.ok)).toHaveLength(10);
    expect(acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED')).toHaveLength(4);
  });
});

describe('team mode chat while Redis is down', () => {
  let redis: TestRedis;
  let team: Team;
  beforeAll(async () => {
    redis = await startRedis();
    team = await startTeam(2, { VEZA_REDIS_URL: redis.url });
  }, 60_000);
  afterAll(async () => {
    await team?.stop();
    await redis?.stop();
  });

  it('sends keep working, no acknowledged message is lost, and cross-instance fan-out resumes by itself', async () => {
    const { onA, onB } = await membersOnAandB(team, ['eve-x', 'finn-x']);

    const acknowledged: string[] = [];
    let sent = 0;
    const sendBatch = async (label: string, count: number) => {
      for (let i = 0; i < count; i += 1) {
        sent += 1;
        const ack = await send(onA, `${label} ${i}`);
        if (ack.ok) acknowledged.push(ack.message.id);
        // Stay under the 10/s limit so every refusal would be a fault, not the limit.
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
    };

    await sendBatch('before', 5);
    await redis.pause();
    const outageStarted = Date.now();
    await sendBatch('during', 20);
    expect(Date.now() - outageStarted).toBeGreaterThanOrEqual(2000);
    // Keep Redis away for 5 s in all.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5000 - (Date.now() - outageStarted))));
    await redis.start();
    await sendBatch('after', 5);

    // Every send was acknowledged (fallback limits), and every acknowledged message is stored.
    expect(acknowledged).toHaveLength(sent);
    const history = await request<{ messages: Message[] }>(onB, 'history:fetch', { room_id: DEFAULT_ROOM_ID, limit: 200 });
    const stored = new Set(history.ok ? history.messages.map((m) => m.id) : []);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

    // Fan-out across instances comes back without a restart.
    await expect
      .poll(
        async () => {
          const arrival = nextEvent(onB, 'message:new', (m) => m.content.startsWith('probe'), 1000).then(() => true, () => false);
          await send(onA, `probe ${Date.now()}`);
          return arrival;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
  }, 60_000);

  it('a neighbour on the same instance gets each message at once; the other instance gets them once Redis is back, once each and in order', async () => {
    const [a, b] = team.instances.map((i) => i.url) as [string, string];
    const sender = await signUp(a, 'kim-x');
    const onA = await connect(a, sender.token);
    const neighbour = await connect(a, (await signUp(a, 'lee-x')).token);
    const farAway = await connect(b, (await signUp(b, 'max-x')).token);
    for (const socket of [onA, neighbour, farAway]) await joinGeneral(socket);

    const arrivals = (socket: ClientSocket) => {
      const seen: Array<{ content: string; at: number }> = [];
      socket.on('message:new', (m) => m.content.startsWith('outage ') && seen.push({ content: m.content, at: Date.now() }));
      return seen;
    };
    const nearby = arrivals(neighbour);
    const far = arrivals(farAway);

    await redis.pause();
    const sentAt: number[] = [];
    const contents = Array.from({ length: 5 }, (_, i) => `outage ${i}`);
    for (const content of contents) {
      sentAt.push(Date.now());
      expect((await send(onA, content)).ok).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(nearby.map((m) => m.content)).toEqual(contents);
    expect(Math.max(...nearby.map((m, i) => m.at - sentAt[i]!))).toBeLessThan(1000);
    expect(far).toEqual([]);

    await redis.start();
    await expect.poll(() => far.length, { timeout: 20_000, interval: 200 }).toBe(contents.length);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more may come
    expect(far.map((m) => m.content)).toEqual(contents);
    expect(nearby.map((m) => m.content)).toEqual(contents);
  }, 60_000);
});

describe('team presence when an instance dies or Redis restarts empty', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis(); // its own: the expiry index must not be swept by other tests' instances
  });
  afterAll(() => redis?.stop());

  const presenceOf = async (url: string, token: string, userId: string) =>
    ((await (await fetch(`${url}/api/v1/users/${userId}/presence`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; last_seen: string | null });

  it('the users of a SIGKILLed instance are shown offline, with their last_seen, within the TTL + 10 s', async () => {
    const team = await startTeam(2, { VEZA_REDIS_URL: redis.url, VEZA_PRESENCE_TTL_S: '6' });
    try {
      const { first: victim, onB } = await membersOnAandB(team, ['gus-x', 'hal-x']);
      const offline = nextPresence(onB, (p) => p.user_id === victim.userId && p.status === 'offline', 20_000);
      const killedAt = Date.now();
      team.instances[0]!.process.child.kill('SIGKILL');
      const update = await offline;
      expect(Date.now() - killedAt).toBeLessThan(6000 + 10_000);
      // last_seen is the victim's last heartbeat: before the kill, and not older than one heartbeat (TTL / 3).
      expect(Date.parse(update.last_seen!)).toBeLessThanOrEqual(killedAt);
      expect(killedAt - Date.parse(update.last_seen!)).toBeLessThan(2000 + 1000);
    } finally {
      await team.stop();
    }
  }, 60_000);

  it('after Redis restarts empty, the connected users are online again within seconds, not at their next heartbeat', async () => {
    const team = await startTeam(2, { VEZA_REDIS_URL: redis.url }); // default TTL: heartbeats every 40 s
    try {
      const { first: ivy } = await membersOnAandB(team, ['ivy-x', 'jon-x']);
      const b = team.instances[1]!.url;
      expect((await presenceOf(b, ivy.token, ivy.userId)).status).toBe('online');
      await redis.pause();
      await redis.start(); // no persistence: every record is gone
      await expect.poll(async () => (await presenceOf(b, ivy.token, ivy.userId).catch(() => ({ status: 'unreachable' }))).status, { timeout: 8000, interval: 250 }).toBe('online');
    } finally {
      await team.stop();
    }
  }, 60_000);
});
