import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { type Namespace, Server, type Socket } from 'socket.io';
import { type BroadcastOptions, type ClusterAdapter, MessageType } from 'socket.io-adapter';
import type { User } from '../../src/shared/api.js';
import { SOCKET_PATH } from '../../src/shared/routes.js';
import { ErrorCode } from '../../src/shared/errors.js';
import type { HostPolicy } from './security.js';

export interface SocketData {
  user: User;
}
type AppSocket = Socket<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>;

declare module 'fastify' {
  interface FastifyInstance {
    io: Server;
  }
}

export const userRoom = (userId: string) => `user:${userId}`;

/** Open sockets one account may hold on one instance: tabs, a desktop, a phone, with room to spare. */
const MAX_SOCKETS_PER_USER = 20;
const CONNECT_TIMEOUT_MS = 10_000;

interface SocketOptions {
  policy: HostPolicy;
  /** Team mode: rooms span instances through a Redis stream. */
  redisUrl: string | null;
  authenticate(token: string): Promise<User | null>;
}

/** socket.io on the Fastify server: Host/Origin checked at the handshake, then the bearer token. */
async function socketPlugin(app: FastifyInstance, opts: SocketOptions) {
  const io = new Server(app.server, {
    path: SOCKET_PATH,
    serveClient: false,
    // socket.io's `cors` does not cover websockets: the Host/Origin check lives here instead.
    allowRequest: (req, callback) => {
      const refusal = opts.policy.checkHandshake(req);
      callback(refusal, refusal === null);
    },
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
    // An engine.io session that never connects to the namespace (never authenticates) is closed after this.
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxHttpBufferSize: 64 * 1024,
  });
  // allowRequest runs for the handshake only: later polling requests and the websocket upgrade of an
  // open session carry just a session id, so the same Host/Origin check runs on each of them too.
  io.engine.use((req: IncomingMessage & { _query?: Record<string, string> }, _res: unknown, next: (error?: Error) => void) => {
    const refusal = req._query?.sid ? opts.policy.checkHandshake(req) : null;
    next(refusal ? new Error(refusal) : undefined);
  });
  const streamsClient = opts.redisUrl ? attachRedisStreams(io, opts.redisUrl) : null;
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    const deny = () => next(Object.assign(new Error('Missing or invalid token'), { data: { code: ErrorCode.INVALID_TOKEN } }));
    if (typeof token !== 'string') return deny();
    opts.authenticate(token).then(
      (user) => {
        if (!user) return deny();
        // Per instance (the user's room holds their connected sockets here): one account's script
        // cannot hold thousands of sockets and their heartbeats.
        if ((io.of('/').adapter.rooms.get(userRoom(user.id))?.size ?? 0) >= MAX_SOCKETS_PER_USER) {
          const refusal = `Too many connections for this account (at most ${MAX_SOCKETS_PER_USER} at once); close some tabs or devices`;
          return next(Object.assign(new Error(refusal), { data: { code: ErrorCode.RATE_LIMITED } }));
        }
        (socket as AppSocket).data.user = user;
        next();
      },
      (error: unknown) => {
        app.log.warn({ err: error }, 'socket authentication failed');
        next(Object.assign(new Error('Service unavailable'), { data: { code: ErrorCode.SERVICE_UNAVAILABLE } }));
      },
    );
  });
  // Every socket joins its user's room, so features can reach all of a user's tabs and devices.
  io.on('connection', (client) => void client.join(userRoom((client as AppSocket).data.user.id)));
  app.decorate('io', io);
  app.addHook('preClose', async () => {
    // Disconnect clients before Fastify waits for open connections, or shutdown would hang on websockets.
    // (io.close() would also close the HTTP server, which Fastify closes itself.)
    io.disconnectSockets(true);
    io.engine.close();
    await io.of('/').adapter.close();
    // quit, not disconnect: the adapter's last messages (its close notice) are still in flight.
    await streamsClient?.quit().catch(() => undefined);
  });
}

/**
 * The Redis Streams adapter rather than the pub/sub one: it resumes the stream after a Redis blink
 * without losing packets, and it keeps connection state recovery working across instances.
 * Its client keeps the offline queue: while Redis is away broadcasts wait instead of failing.
 */
/**
 * The adapter fires some commands without handling their promises (PUBLISH of fetchSockets replies,
 * SUBSCRIBE on its duplicates); one failing while the instance closes would be an unhandled rejection,
 * which crashes Node by default. Marking every promise handled keeps errors for those who await them.
 */
function markCommandsHandled(client: Redis): void {
  const sendCommand = client.sendCommand.bind(client);
  client.sendCommand = ((command, stream) => {
    (command as unknown as { promise?: Promise<unknown> }).promise?.catch(() => undefined);
    return sendCommand(command, stream);
  }) as Redis['sendCommand'];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    const copy = duplicate(...args);
    markCommandsHandled(copy);
    return copy;
  };
}

function attachRedisStreams(io: Server, redisUrl: string): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
  client.on('error', () => undefined); // reconnects by itself; health reports the kv store separately
  markCommandsHandled(client);
  const makeAdapter = createAdapter(client, { streamName: 'veza:socket.io', sessionKeyPrefix: 'veza:sio:session:', maxLen: 10_000 });
  // socket.io calls this with `new`; returning the adapter object is what createAdapter's own factory does.
  io.adapter(function (nsp: Namespace) {
    return deliverLocallyWhileRedisIsAway(makeAdapter(nsp) as ClusterAdapter, client);
  } as unknown as Parameters<Server['adapter']>[0]);
  return client;
}

/**
 * The adapter writes each broadcast to the stream before delivering it here (it appends the stream
 * offset for connection-state recovery), so while Redis is away even two users on this instance wait
 * for it. Then: this instance's sockets at once, the other instances through the client's offline queue
 * once Redis is back — each exactly once, in order per sender (the queue keeps the order). Those local
 * packets carry no offset, so a client recovering its session later may get them again: the app merges
 * messages by id.
 */
function deliverLocallyWhileRedisIsAway(adapter: ClusterAdapter, client: Redis): ClusterAdapter {
  const broadcast = adapter.broadcast.bind(adapter);
  const publish = (adapter as unknown as { publishAndReturnOffset(message: unknown): Promise<string> }).publishAndReturnOffset.bind(adapter);
  adapter.broadcast = (packet: unknown, opts: BroadcastOptions) => {
    if (client.status === 'ready' || opts.flags?.local) return broadcast(packet, opts);
    const message = { type: MessageType.BROADCAST, data: { packet, opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags } } };
    publish(message).catch(() => undefined); // the adapter's own broadcast drops a failed publish too
    return broadcast(packet, { ...opts, flags: { ...opts.flags, local: true } });
  };
  return adapter;
}

export const socket = fp(socketPlugin, { name: 'socket' });
