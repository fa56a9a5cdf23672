/** Presence: who is online and what they are listening to, told to everyone who shares a room with them. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { API_PREFIX } from '../../../src/shared/routes.js';
import type { TypedServer } from '../../infra/socket-events.js';
import { presenceRoutes } from './presence.routes.js';
import { PresenceService, type TrackNameLookup } from './presence.service.js';
import { registerPresenceSocket } from './presence.socket.js';

export type { TrackNameLookup } from './presence.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    presence: PresenceService;
  }
}

export interface PresenceOptions {
  /** Track id → name for "listening to" (default: the track's title from the library). */
  lookupTrackName?: TrackNameLookup;
  /** Test knobs: a shorter TTL, heartbeat and offline grace. */
  ttlMs?: number;
  heartbeatMs?: number;
  offlineGraceMs?: number;
}

async function presencePlugin(app: FastifyInstance, options: PresenceOptions) {
  const presence = new PresenceService(app.kv, {
    lookupTrackName: options.lookupTrackName ?? ((trackId) => app.tracks.get(trackId).then((track) => track.title, () => null)),
    ttlMs: options.ttlMs,
  });
  app.decorate('presence', presence);
  const presenceSocket = registerPresenceSocket({
    io: app.io as TypedServer,
    presence,
    log: app.log,
    roomsOf: (userId) => app.chat.memberRoomIds(userId),
    limiter: app.rateLimiter,
    heartbeatMs: options.heartbeatMs,
    offlineGraceMs: options.offlineGraceMs,
    onStoreReconnect: (handler) => app.kv.onReconnect(handler),
  });
  app.addHook('onClose', () => presenceSocket.close());
  await app.register(presenceRoutes, { prefix: API_PREFIX, presence, db: app.db.db });
}

export const presence = fp(presencePlugin, { name: 'presence', dependencies: ['stores', 'auth', 'socket', 'rate-limit', 'chat', 'media'] });
