import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_ROOM_ID, type Message, type Room } from '../../../src/shared/chat.js';
import type { AckResult } from '../../../src/shared/socket-events.js';
import { waitFor } from '../../../test/support/free-port.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { type ClientSocket, nextEvent, type SocketTestApp, startSocketApp } from '../../../test/support/socket-app.js';

function errorCode(result: AckResult): string | undefined {
  return result.ok ? undefined : result.error.code;
}

function expectOk<T extends object>(result: AckResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`chat over socket.io [${dialect}]`, () => {
    let server: SocketTestApp;
    let alice: { token: string; id: string };
    let bob: { token: string; id: string };
    let aliceSocket: ClientSocket;
    let bobSocket: ClientSocket;

    beforeEach(async () => {
      const env: Record<string, string> = dialect === 'postgres' ? { VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')) } : {};
      server = await startSocketApp(env);
      const a = await server.signUp('alice');
      const b = await server.signUp('bob');
      alice = { token: a.token, id: a.user.id };
      bob = { token: b.token, id: b.user.id };
      [aliceSocket, bobSocket] = await Promise.all([server.connect(alice.token), server.connect(bob.token)]);
    });
    afterEach(async () => {
      await server.close();
    });

    const rest = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      server.app.inject({ method, url: `/api/v1${url}`, headers: { host: new URL(server.url).host, authorization: `Bearer ${token}` }, payload });

    it('two users chat in General: order holds, the other user gets every message within 1 s', async () => {
      const received: Array<{ message: Message; at: number }> = [];
      bobSocket.on('message:new', (message) => received.push({ message, at: Date.now() }));
      const sentAt = new Map<string, number>();
      const acks = await Promise.all(
        Array.from({ length: 8 }, (_, i) => {
          const client_id = `c${i}`;
          sentAt.set(client_id, Date.now());
          return aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id, content: `  hello ${i}\u0007 ` });
        }),
      );
      const messages = acks.map((ack) => expectOk(ack).message);
      expect(messages.map((m) => m.content)).toEqual(Array.from({ length: 8 }, (_, i) => `hello ${i}`));
      expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      await waitFor(() => received.length === 8, { timeoutMs: 2000, what: 'bob receiving 8 messages' });
      expect(received.map((r) => r.message.client_id)).toEqual(messages.map((m) => m.client_id));
      for (const { message, at } of received) expect(at - sentAt.get(message.client_id)!).toBeLessThan(1000);

      const history = expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: DEFAULT_ROOM_ID, limit: 3 }));
      expect(history.messages.map((m) => m.seq)).toEqual([8, 7, 6]);
      const page = await rest(bob.token, 'GET', `/rooms/${DEFAULT_ROOM_ID}/messages?before=6&limit=10`);
      expect(page.json()).toMatchObject({ next_before: null });
      expect(page.json().messages.map((m: Message) => m.seq)).toEqual([5, 4, 3, 2, 1]);
      // Catching up after a reconnect: everything after the last seq seen, oldest first.
      const after = expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: DEFAULT_ROOM_ID, after: 6 }));
      expect(after.messages.map((m) => m.seq)).toEqual([7, 8]);
    });

    it('5 concurrent sends with one client_id (5 tabs) store one message and ack the same id 5 times', async () => {
      const tabs = await Promise.all(Array.from({ length: 5 }, () => server.connect(alice.token)));
      const broadcasts: Message[] = [];
      bobSocket.on('message:new', (message) => broadcasts.push(message));
      const acks = await Promise.all(
        tabs.map((tab) => tab.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'same-client-id', content: 'once' })),
      );
      const ids = acks.map((ack) => expectOk(ack).message.id);
      expect(new Set(ids).size).toBe(1);
      // A marker after the retries: once it arrives, any duplicate broadcast would have arrived too.
      expectOk(await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'marker', content: 'marker' }));
      await waitFor(() => broadcasts.some((m) => m.client_id === 'marker'), { what: 'marker' });
      expect(broadcasts.filter((m) => m.client_id === 'same-client-id')).toHaveLength(1);
      const history = expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: DEFAULT_ROOM_ID }));
      expect(history.messages.filter((m) => m.content === 'once')).toHaveLength(1);
    });

    it('14 sends within 1 s: exactly 10 allowed, 4 RATE_LIMITED; allowed again after the window', async () => {
      const started = Date.now();
      const acks = await Promise.all(
        Array.from({ length: 14 }, (_, i) => aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: `r${i}`, content: `m${i}` })),
      );
      expect(Date.now() - started).toBeLessThan(1000);
      expect(acks.filter((ack) => ack.ok)).toHaveLength(10);
      const refused = acks.filter((ack) => !ack.ok);
      expect(refused.map(errorCode)).toEqual(Array(4).fill('RATE_LIMITED'));
      expect(refused.every((ack) => !ack.ok && ack.error.retry_after_ms! > 0)).toBe(true);
      const later = await waitFor(
        async () => {
          const ack = await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: randomUUID(), content: 'later' });
          return ack.ok ? ack : false;
        },
        { timeoutMs: 3000, intervalMs: 100, what: 'a send allowed again' },
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(expectOk(later as AckResult<{ message: Message }>).message.content).toBe('later');
      const metrics = await server.app.inject({ method: 'GET', url: '/metrics', headers: { host: new URL(server.url).host } });
      // The 4 refusals, plus any refused polls while waiting for the window.
      const refusedCount = Number(/veza_rate_limit_hits_total\{action="send_message"\} (\d+)/.exec(metrics.body)?.[1]);
      expect(refusedCount).toBeGreaterThanOrEqual(4);
      expect(metrics.body).toMatch(/veza_chat_messages_sent_total 11/);
      expect(metrics.body).toMatch(/veza_chat_sockets_connected 2/);
    });

    it('a non-member can neither read, search nor send; after joining they can', async () => {
      const created = await rest(alice.token, 'POST', '/rooms', { name: '  Band practice ' });
      expect(created.statusCode).toBe(201);
      const room = created.json() as Room;
      expect(room).toMatchObject({ name: 'Band practice', is_member: true, is_default: false });
      const bobHeard: Message[] = [];
      bobSocket.on('message:new', (message) => bobHeard.push(message));
      expectOk(await aliceSocket.emitWithAck('message:send', { room_id: room.id, client_id: 'secret', content: 'secret plans' }));

      expect(errorCode(await bobSocket.emitWithAck('message:send', { room_id: room.id, client_id: 'x', content: 'hi' }))).toBe('FORBIDDEN');
      expect(errorCode(await bobSocket.emitWithAck('history:fetch', { room_id: room.id }))).toBe('FORBIDDEN');
      expect(errorCode(await bobSocket.emitWithAck('search', { room_id: room.id, q: 'secret' }))).toBe('FORBIDDEN');
      expect((await rest(bob.token, 'GET', `/rooms/${room.id}/messages`)).json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect((await rest(bob.token, 'GET', `/rooms/${room.id}/messages/search?q=secret`)).statusCode).toBe(403);
      expect((await rest(bob.token, 'GET', `/rooms/${room.id}/members`)).statusCode).toBe(403);
      expect((await rest(bob.token, 'GET', `/rooms/${randomUUID()}/messages`)).json()).toMatchObject({ code: 'NOT_FOUND' });
      expect(errorCode(await bobSocket.emitWithAck('room:join', { room_id: randomUUID() }))).toBe('NOT_FOUND');
      expect(bobHeard).toEqual([]);

      const rooms = (await rest(bob.token, 'GET', '/rooms')).json().rooms as Room[];
      expect(rooms.map((r) => [r.name, r.is_member])).toEqual([
        ['General', true],
        ['Band practice', false],
      ]);
      const joined = expectOk(await bobSocket.emitWithAck('room:join', { room_id: room.id }));
      expect(joined.presence.map((p) => p.user_id).sort()).toEqual([alice.id, bob.id].sort());
      expect(joined.presence.every((p) => p.status === 'online')).toBe(true);
      const history = expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: room.id }));
      expect(history.messages.map((m) => m.content)).toEqual(['secret plans']);
      // Members by name, for authors and presence: alice before bob.
      expect((await rest(bob.token, 'GET', `/rooms/${room.id}/members`)).json()).toEqual({
        members: [
          { user_id: alice.id, display_name: 'alice' },
          { user_id: bob.id, display_name: 'bob' },
        ],
        total: 2,
      });
      const heard = nextEvent(aliceSocket, 'message:new', (m) => m.client_id === 'hi-bob');
      expectOk(await bobSocket.emitWithAck('message:send', { room_id: room.id, client_id: 'hi-bob', content: 'hi' }));
      await heard;

      expectOk(await bobSocket.emitWithAck('room:leave', { room_id: room.id }));
      expect(errorCode(await bobSocket.emitWithAck('message:send', { room_id: room.id, client_id: 'y', content: 'hi' }))).toBe('FORBIDDEN');
      expect(errorCode(await bobSocket.emitWithAck('room:leave', { room_id: DEFAULT_ROOM_ID }))).toBe('VALIDATION_FAILED');
    });

    it("editing or deleting another user's message is refused; own edits and deletes are broadcast", async () => {
      const sent = expectOk(await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'e1', content: 'first draft' }));
      const id = sent.message.id;
      expect(errorCode(await bobSocket.emitWithAck('message:edit', { message_id: id, content: 'hacked' }))).toBe('FORBIDDEN');
      expect(errorCode(await bobSocket.emitWithAck('message:delete', { message_id: id }))).toBe('FORBIDDEN');

      const updated = nextEvent(bobSocket, 'message:updated');
      const edit = expectOk(await aliceSocket.emitWithAck('message:edit', { message_id: id, content: 'final draft' }));
      expect(edit.message).toMatchObject({ content: 'final draft', seq: sent.message.seq });
      expect(edit.message.edited_at).not.toBeNull();
      expect(await updated).toMatchObject({ id, content: 'final draft' });

      const deleted = nextEvent(bobSocket, 'message:deleted');
      expectOk(await aliceSocket.emitWithAck('message:delete', { message_id: id }));
      expect(await deleted).toEqual({ room_id: DEFAULT_ROOM_ID, message_id: id });
      expect(expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: DEFAULT_ROOM_ID })).messages).toEqual([]);
      expect(errorCode(await aliceSocket.emitWithAck('message:edit', { message_id: id, content: 'again' }))).toBe('NOT_FOUND');
      // The client_id still deduplicates: a late retry returns the (deleted) original, creates nothing.
      const retry = expectOk(await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'e1', content: 'first draft' }));
      expect(retry.message).toMatchObject({ id, is_deleted: true, content: '' });
    });

    it('rejects bad payloads with VALIDATION_FAILED and keeps the socket working', async () => {
      const bad = [
        { room_id: 'not-a-uuid', client_id: 'a', content: 'x' },
        { room_id: DEFAULT_ROOM_ID, content: 'no client id' },
        { room_id: DEFAULT_ROOM_ID, client_id: 'a', content: ' \u0000\u0001 \n ' },
        { room_id: DEFAULT_ROOM_ID, client_id: 'a', content: 'x'.repeat(4001) },
        { room_id: DEFAULT_ROOM_ID, client_id: 'has spaces', content: 'x' },
      ];
      for (const payload of bad) {
        expect(errorCode(await aliceSocket.emitWithAck('message:send', payload as never)), JSON.stringify(payload).slice(0, 80)).toBe('VALIDATION_FAILED');
      }
      const ok = expectOk(await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'ok', content: 'line 1\r\nline 2' }));
      expect(ok.message.content).toBe('line 1\nline 2');
      expect((await rest(alice.token, 'POST', '/rooms', { name: '\u0001\u0002' })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('search: ranked hits with plain-text snippets; deleted never returned; hostile queries answer normally', async () => {
      const send = async (client_id: string, content: string) =>
        expectOk(await aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id, content })).message;
      const exact = await send('s1', 'synth');
      await send('s2', 'I sold my <b>synth</b> and bought another synth pedal for the live show next week');
      const gone = await send('s3', 'synth synth synth');
      expectOk(await aliceSocket.emitWithAck('message:delete', { message_id: gone.id }));

      const result = await rest(bob.token, 'GET', `/rooms/${DEFAULT_ROOM_ID}/messages/search?q=SYNTH`);
      expect(result.statusCode).toBe(200);
      const body = result.json() as { messages: Array<Message & { snippet: string; highlights: [number, number][] }>; total: number; total_capped: boolean };
      expect(body.total).toBe(2);
      expect(body.total_capped).toBe(false);
      expect(body.messages[0]!.id).toBe(exact.id);
      expect(body.messages.map((m) => m.id)).not.toContain(gone.id);
      const second = body.messages[1]!;
      expect(second.snippet).toContain('<b>synth</b>');
      expect(second.highlights.map(([s, e]) => second.snippet.slice(s, e))).toEqual(['synth', 'synth']);

      // Operators are plain words: AND finds the message that says "and".
      const hostile: Array<[string, number]> = [
        ['"', 0],
        ['*', 0],
        ['NEAR(', 0],
        ['AND', 1],
        ['-', 0],
        ['!@#$%^&*()_+-=[]{};:\'",.<>/?\\|`~'.repeat(70), 0],
      ];
      for (const [q, total] of hostile) {
        // The search limit is 2/s: wait out refusals, but never accept another error.
        const ack = await waitFor(
          async () => {
            const answer: AckResult<{ total: number }> = await bobSocket.emitWithAck('search', { room_id: DEFAULT_ROOM_ID, q });
            return errorCode(answer) === 'RATE_LIMITED' ? false : answer;
          },
          { timeoutMs: 5000, intervalMs: 100, what: `search ${q.slice(0, 10)}` },
        );
        expect(expectOk(ack as AckResult<{ total: number }>).total, q.slice(0, 20)).toBe(total);
      }
    });

    it('a dropped connection recovers its state: messages sent meanwhile arrive once, in order', async () => {
      const received: string[] = [];
      bobSocket.on('message:new', (message) => received.push(message.content));
      const send = (content: string) => aliceSocket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: randomUUID(), content });
      expectOk(await send('before'));
      await waitFor(() => received.includes('before'), { what: 'before' });

      // The network drops under bob (no disconnect packet): the client reconnects by itself.
      const reconnected = new Promise((resolve) => bobSocket.io.once('reconnect', resolve));
      bobSocket.io.engine.close();
      await waitFor(async () => (await server.app.io.in(`user:${bob.id}`).fetchSockets()).length === 0, { what: 'bob gone' });
      expectOk(await send('while away 1'));
      expectOk(await send('while away 2'));
      await reconnected;
      await waitFor(() => received.includes('while away 2'), { what: 'missed messages' });
      expect(bobSocket.recovered).toBe(true);
      expectOk(await send('after'));
      await waitFor(() => received.includes('after'), { what: 'after' });
      expect(received).toEqual(['before', 'while away 1', 'while away 2', 'after']);
    });

    it('typing is relayed to the room, never stored, and rate limited', async () => {
      const typing = nextEvent(bobSocket, 'typing');
      expectOk(await aliceSocket.emitWithAck('typing', { room_id: DEFAULT_ROOM_ID }));
      expect(await typing).toEqual({ room_id: DEFAULT_ROOM_ID, user_id: alice.id, display_name: 'alice' });
      const acks = await Promise.all(Array.from({ length: 6 }, () => aliceSocket.emitWithAck('typing', { room_id: DEFAULT_ROOM_ID })));
      expect(acks.filter((ack) => errorCode(ack) === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(2);
      expect(expectOk(await bobSocket.emitWithAck('history:fetch', { room_id: DEFAULT_ROOM_ID })).messages).toEqual([]);
    });
  });
}
