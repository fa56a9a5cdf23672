import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { User } from '../../src/shared/api.js';
import type { Presence } from '../../src/shared/chat.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/shared/socket-events.js';
import { type App, type AppOptions, buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { SOCKET_PATH } from '../../src/shared/routes.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SocketTestApp {
  app: App;
  url: string;
  /** JSON log lines written so far (level warn and up unless `logLevel` says otherwise). */
  logs: Array<{ level: number; msg: string }>;
  /** A new member account with its bearer token. */
  signUp(username: string): Promise<{ user: User; token: string }>;
  /** A connected socket.io client (resolves on `connect`, rejects on `connect_error`). */
  connect(token: string): Promise<ClientSocket>;
  close(): Promise<void>;
}

/**
 * A real listening server on 127.0.0.1 with a random port, for socket.io-client tests.
 * `env` picks the stores (VEZA_DATABASE_URL / VEZA_REDIS_URL); `options` reaches buildApp.
 */
export async function startSocketApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<SocketTestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-socket-'));
  const config = loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'warn', VEZA_ALLOW_SIGNUP: 'true', ...env });
  const logs: SocketTestApp['logs'] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      try {
        logs.push(JSON.parse(line) as { level: number; msg: string });
      } catch {
        // not JSON: ignore
      }
    }
  });
  const app = await buildApp(config, { logStream, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  app.hostPolicy.bindPort(port);
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  return {
    app,
    url,
    logs,
    signUp: (username) => app.accounts.register({ username, password: 'correct horse battery' }),
    connect: (token) =>
      new Promise((resolve, reject) => {
        const client: ClientSocket = connectClient(url, { path: SOCKET_PATH, auth: { token }, transports: ['websocket'], forceNew: true });
        clients.push(client);
        client.once('connect', () => resolve(client));
        client.once('connect_error', (error) => reject(error));
      }),
    close: async () => {
      for (const client of clients) client.disconnect();
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the next `event` on `socket` that satisfies `match`, or rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  match: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: Parameters<ServerToClientEvents[E]>) => {
      if (!match(...args)) return;
      off();
      resolve(args[0]);
    };
    const off = () => {
      clearTimeout(timer);
      (socket as unknown as Socket).off(event as string, listener as never);
    };
    (socket as unknown as Socket).on(event as string, listener as never);
  });
}

/** Calls `handler` for each presence change the socket receives (they arrive in per-room batches). */
export function onPresence(socket: ClientSocket, handler: (presence: Presence) => void): void {
  socket.on('presence:updates', (updates) => updates.forEach(handler));
}

/** The next presence change matching `match`, from whichever batch carries it. */
export async function nextPresence(socket: ClientSocket, match: (presence: Presence) => boolean, timeoutMs = 5000): Promise<Presence> {
  const batch = await nextEvent(socket, 'presence:updates', (updates) => updates.some(match), timeoutMs);
  return batch.findLast(match)!;
}
