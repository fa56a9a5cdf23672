/**
 * The server side of bench/chat.ts, in its own process so its RSS and CPU are its own.
 * `veza`: the real app (solo mode: SQLite + in-process key-value store, default rate limits; team mode
 *   on PostgreSQL + Redis when the parent passes their URLs).
 * `bare`: a bare socket.io relay — no auth, no storage, no limits — the baseline.
 * Talks to the parent over IPC: ready → setup(clients, roomSize) → rss.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'socket.io';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { newToken } from '../server/infra/auth/tokens.js';

export interface BenchClientSpec {
  token: string;
  room_id: string;
}

type Request = { type: 'setup'; clients: number; roomSize: number } | { type: 'rss' };

const kind = process.argv[2] === 'bare' ? 'bare' : 'veza';
const send = (message: object) => process.send!(message);
let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100).unref();

async function startBare() {
  const server = http.createServer();
  const io = new Server(server, { path: '/api/v1/ws', serveClient: false });
  let seq = 0;
  io.on('connection', (socket) => {
    void socket.join(String(socket.handshake.auth.room));
    const userId = randomUUID();
    socket.on('message:send', (payload: { room_id: string; client_id: string; content: string }, ack: (result: object) => void) => {
      // The same message shape and ack as Veza's (a Message, `{ ok, message }`), so both servers move
      // the same bytes and the ratio measures auth, checks and storage, not payload size.
      const message = {
        id: randomUUID(),
        room_id: payload.room_id,
        user_id: userId,
        client_id: payload.client_id,
        seq: ++seq,
        content: payload.content,
        track_id: null,
        track_time_s: null,
        created_at: new Date().toISOString(),
        edited_at: null,
        is_deleted: false,
      };
      io.to(payload.room_id).emit('message:new', message);
      ack({ ok: true, message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let rooms = 0;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setup: async (clients: number, roomSize: number): Promise<BenchClientSpec[]> => {
      const base = rooms;
      rooms += Math.ceil(clients / roomSize);
      return Array.from({ length: clients }, (_, i) => ({ token: '', room_id: `room-${base + Math.floor(i / roomSize)}` }));
    },
  };
}

async function startVeza() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-bench-chat-'));
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  // Team instances get VEZA_DATABASE_URL / VEZA_REDIS_URL from bench/chat.ts --instances.
  const { VEZA_DATABASE_URL, VEZA_REDIS_URL, VEZA_SQLITE_SYNCHRONOUS } = process.env;
  const config = loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'warn', VEZA_DATABASE_URL, VEZA_REDIS_URL, VEZA_SQLITE_SYNCHRONOUS });
  const app = await buildApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  app.hostPolicy.bindPort(port);
  const db = app.db.db;
  return {
    url: `http://127.0.0.1:${port}`,
    // Users and tokens straight into the database: 1000 scrypt sign-ups would take minutes.
    setup: async (clients: number, roomSize: number): Promise<BenchClientSpec[]> => {
      const now = new Date().toISOString();
      const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
      const specs: BenchClientSpec[] = [];
      let roomId = '';
      for (let i = 0; i < clients; i++) {
        const id = randomUUID();
        const user = { id, username: `bench-${id}`, display_name: `bench ${i}` };
        await db.insertInto('users').values({ ...user, password_hash: null, role: 'member', created_at: now }).execute();
        const { token, hash } = newToken();
        await db.insertInto('auth_tokens').values({ token_hash: hash, user_id: id, kind: 'session', created_at: now, expires_at: expires }).execute();
        if (i % roomSize === 0) roomId = (await app.chat.createRoom(user, `bench room ${i / roomSize}`)).id;
        else await app.chat.joinRoom(user, roomId);
        specs.push({ token, room_id: roomId });
      }
      return specs;
    },
  };
}

const server = kind === 'bare' ? await startBare() : await startVeza();
process.on('message', (request: Request) => {
  if (request.type === 'rss') {
    send({ type: 'rss', rss: process.memoryUsage().rss, peakRss });
    peakRss = 0;
    return;
  }
  void server.setup(request.clients, request.roomSize).then((clients) => send({ type: 'setup', clients }));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: server.url });
