import type { FastifyBaseLogger } from 'fastify';
import type { Presence } from '../../../src/shared/chat.js';
import { ListeningPayloadSchema } from '../../../src/shared/socket-events.js';
import { userRoom } from '../../infra/socket.js';
import { onClientEvent, roomChannel, type TypedServer, type TypedSocket } from '../../infra/socket-events.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import type { PresenceService } from './presence.service.js';

export interface PresenceSocketOptions {
  io: TypedServer;
  presence: PresenceService;
  log: FastifyBaseLogger;
  /** The chat rooms a user is in: their presence updates go there. */
  roomsOf(userId: string): Promise<string[]>;
  limiter: RateLimiter;
  /** How often a connected user's online record is refreshed; well under the TTL. */
  heartbeatMs?: number;
  /** Registers a handler for the store coming back (Redis restarted, maybe empty). */
  onStoreReconnect?: (handler: () => void) => void;
  /**
   * How long a user whose last socket left still counts as online. A reconnect within it (a network
   * blip, a reload, a move to another instance) shows no offline → online flap and keeps "listening to".
   */
  offlineGraceMs?: number;
}

/** Long enough for socket.io's reconnect (1–5 s backoff) after a short network loss. */
const OFFLINE_GRACE_MS = 5_000;
/** How long presence changes are gathered before they go out: short next to a human, long next to a crowd's arrival. */
const PRESENCE_TICK_MS = 50;

/**
 * Online with the first socket, offline once the last one has been gone for the grace period (on any
 * instance: the user's room spans instances through the adapter). Presence failures (Redis down) are
 * logged, never break a socket. `close()` drops pending offline checks (the server is shutting down:
 * users who do not reconnect elsewhere expire with their online record's TTL).
 */
export function registerPresenceSocket({ io, presence, log, roomsOf, limiter, heartbeatMs, offlineGraceMs, onStoreReconnect }: PresenceSocketOptions): {
  close(): void;
} {
  const heartbeats = new Map<string, { sockets: number; timer: NodeJS.Timeout }>();
  const interval = heartbeatMs ?? Math.floor(presence.ttlMs / 3);
  const pendingOffline = new Map<string, NodeJS.Timeout>();

  // Changes wait up to one tick and leave together, one event per room (the latest state per user).
  const outbox = new Map<string, Map<string, Presence>>();
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    flushTimer = null;
    for (const [channel, updates] of outbox) io.to(channel).emit('presence:updates', [...updates.values()]);
    outbox.clear();
  };
  const broadcast = async (update: Presence) => {
    const channels = [...(await roomsOf(update.user_id)).map(roomChannel), userRoom(update.user_id)];
    for (const channel of channels) {
      let updates = outbox.get(channel);
      if (!updates) outbox.set(channel, (updates = new Map()));
      updates.set(update.user_id, update);
    }
    flushTimer ??= setTimeout(flush, PRESENCE_TICK_MS);
  };
  const guard = (what: string, work: () => Promise<unknown>) =>
    work().catch((error: unknown) => log.warn({ err: error }, `presence: ${what} failed`));

  // Socket events are handled in order per user on this instance, so "first" and "last" stay consistent.
  const queues = new Map<string, Promise<unknown>>();
  const serialize = (userId: string, work: () => Promise<unknown>) => {
    const next = (queues.get(userId) ?? Promise.resolve()).then(work, work);
    queues.set(userId, next);
    void next.finally(() => queues.get(userId) === next && queues.delete(userId));
    return next;
  };

  const checkOffline = (userId: string, leftAt: number) =>
    serialize(userId, () =>
      guard('disconnect', async () => {
        // Any socket still in the user's room, on any instance, is another tab or a reconnect. (One that
        // arrives on another instance while this asks is put right by that instance's next heartbeat.)
        const remaining = await io.in(userRoom(userId)).fetchSockets();
        if (remaining.length > 0) return;
        await broadcast(await presence.disconnected(userId, leftAt));
      }),
    );
  const heartbeat = (userId: string) =>
    guard('heartbeat', async () => {
      const revived = await presence.heartbeat(userId);
      if (revived) await broadcast(revived);
    });

  // A dead instance says no goodbye: its users' records expire, and whoever sweeps first tells their rooms.
  // One connected somewhere after all (a Redis blip stopped the renewals) is revived by its own instance.
  const sweepExpired = () =>
    guard('expiry sweep', async () => {
      for (const expired of await presence.takeExpired()) {
        if (heartbeats.has(expired.user_id)) void heartbeat(expired.user_id);
        else void serialize(expired.user_id, () => guard('expiry', () => broadcast(expired)));
      }
    });
  // Every 5 s (sooner with a short TTL): users of a dead instance go offline within the TTL plus this.
  const sweeper = setInterval(() => void sweepExpired(), Math.min(5000, presence.ttlMs / 4));
  sweeper.unref();
  // The store came back, perhaps empty (Redis restarted): everyone here is announced again at once
  // instead of reading offline until their next heartbeat.
  onStoreReconnect?.(() => {
    for (const userId of heartbeats.keys()) void heartbeat(userId);
  });

  io.on('connection', (socket: TypedSocket) => {
    const userId = socket.data.user.id;
    clearTimeout(pendingOffline.get(userId));
    pendingOffline.delete(userId);
    const local = heartbeats.get(userId);
    if (local) local.sockets += 1;
    else {
      const timer = setInterval(() => void heartbeat(userId), interval);
      timer.unref();
      heartbeats.set(userId, { sockets: 1, timer });
    }
    void serialize(userId, () =>
      guard('connect', async () => {
        const { presence: update, changed } = await presence.connected(userId);
        if (changed) await broadcast(update);
      }),
    );

    socket.on('disconnect', () => {
      const entry = heartbeats.get(userId);
      if (entry && --entry.sockets > 0) return; // another tab here: still online
      if (entry) {
        clearInterval(entry.timer);
        heartbeats.delete(userId);
      }
      clearTimeout(pendingOffline.get(userId));
      const leftAt = Date.now();
      const timer = setTimeout(() => {
        pendingOffline.delete(userId);
        void checkOffline(userId, leftAt);
      }, offlineGraceMs ?? OFFLINE_GRACE_MS);
      timer.unref();
      pendingOffline.set(userId, timer);
    });

    onClientEvent(socket, 'presence:listening', ListeningPayloadSchema, log, async ({ track_id }) => {
      await limiter.consume(userId, 'presence');
      const update = await presence.setListening(userId, track_id);
      await broadcast(update);
      return { presence: update };
    });
  });

  return {
    close() {
      clearInterval(sweeper);
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      for (const timer of pendingOffline.values()) clearTimeout(timer);
      pendingOffline.clear();
    },
  };
}
