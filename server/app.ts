import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { API_PREFIX } from '../src/shared/routes.js';
import type { Config } from './config.js';
import { AccountsRepository } from './features/accounts/accounts.repository.js';
import { accountsRoutes } from './features/accounts/accounts.routes.js';
import { AccountsService } from './features/accounts/accounts.service.js';
import { auth } from './features/accounts/auth.plugin.js';
import { ChatRepository } from './features/chat/chat.repository.js';
import { chatRoutes } from './features/chat/chat.routes.js';
import { ChatService } from './features/chat/chat.service.js';
import { registerChatSocket, socketChatEvents } from './features/chat/chat.socket.js';
import { presenceRoutes } from './features/presence/presence.routes.js';
import { PresenceService, type TrackNameLookup } from './features/presence/presence.service.js';
import { registerPresenceSocket } from './features/presence/presence.socket.js';
import { healthRoutes } from './features/health/health.routes.js';
import { webPlugin } from './features/web/web.plugin.js';
import { errors } from './infra/errors.js';
import { type FfmpegLookup, locateFfmpeg } from './infra/ffmpeg.js';
import { metrics } from './infra/metrics.js';
import { type RateLimit, type RateLimitAction, RateLimiter } from './infra/rate-limit/rate-limiter.js';
import { HostPolicy, security } from './infra/security.js';
import { socket } from './infra/socket.js';
import type { TypedServer } from './infra/socket-events.js';
import { stores } from './infra/stores.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    accounts: AccountsService;
    chat: ChatService;
    presence: PresenceService;
    rateLimiter: RateLimiter;
  }
}

/** Tokens travel in `?token=` on stream URLs and in Authorization headers: neither reaches the log. */
function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token)=)[^&]*/gi, '$1[redacted]');
}

function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream ? { stream } : {}),
    redact: { paths: ['req.headers.authorization', '*.password', '*.token', '*.owner_token'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
    },
  };
}

export interface AppOptions {
  /** Where JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Track id → name for presence "listening to"; until the tracks feature wires it, names are null. */
  lookupTrackName?: TrackNameLookup;
  /** Test knobs: an injected clock for rate limits, other limits, a shorter presence TTL/heartbeat. */
  chat?: {
    now?: () => number;
    rateLimits?: Partial<Record<RateLimitAction, RateLimit>>;
    presenceTtlMs?: number;
    heartbeatMs?: number;
  };
}

/** The whole server as a plugin tree: no listening, no process concerns (see main.ts). */
export async function buildApp(config: Config, options: AppOptions = {}) {
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    // Unknown fields are refused, not silently dropped: a client sending `role` should hear about it.
    ajv: { customOptions: { removeAdditional: false } },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // Bounds how long a stuck client can hold a connection open.
    requestTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const policy = new HostPolicy(config.port, config.publicHosts);
  let ffmpegLookup: Promise<FfmpegLookup> | undefined;
  const ffmpeg = () => (ffmpegLookup ??= locateFfmpeg(config.ffmpegPath));

  app.decorate('config', config);
  app.addHook('onSend', async (request, reply) => void reply.header('X-Request-Id', request.id));
  await app.register(errors);
  await app.register(security, { policy });
  await app.register(metrics);
  await app.register(stores, { config });

  const accounts = new AccountsService(new AccountsRepository(app.db.db), app.kv, {
    allowSignup: config.allowSignup,
    sessionTtlMs: config.sessionTtlMs,
  });
  app.decorate('accounts', accounts);
  await app.register(auth, { accounts });
  await app.register(socket, { policy, redisUrl: config.redisUrl, authenticate: (token) => accounts.authenticate(token) });

  const io = app.io as TypedServer;
  const rateLimiter = new RateLimiter({
    kv: app.kv,
    log: app.log,
    metrics: app.metrics,
    limits: options.chat?.rateLimits,
    now: options.chat?.now,
  });
  app.addHook('onClose', () => rateLimiter.close());
  const chat = new ChatService(new ChatRepository(app.db.db, app.db.dialect), rateLimiter, socketChatEvents(io, app.metrics), {
    now: options.chat?.now,
  });
  const presence = new PresenceService(app.kv, {
    lookupTrackName: options.lookupTrackName ?? (async () => null),
    ttlMs: options.chat?.presenceTtlMs,
  });
  app.decorate('rateLimiter', rateLimiter);
  app.decorate('chat', chat);
  app.decorate('presence', presence);
  registerChatSocket({
    io,
    chat,
    log: app.log,
    metrics: app.metrics,
    roomPresence: async (roomId) => presence.getMany(await chat.memberIds(roomId)),
  });
  registerPresenceSocket({
    io,
    presence,
    log: app.log,
    roomsOf: (userId) => chat.memberRoomIds(userId),
    limiter: rateLimiter,
    heartbeatMs: options.chat?.heartbeatMs,
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Veza API', version: VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(healthRoutes, { mode: config.mode, version: VERSION, ffmpeg });
      await api.register(accountsRoutes, { accounts });
      await api.register(chatRoutes, { chat });
      await api.register(presenceRoutes, { presence, db: app.db.db });
    },
    { prefix: API_PREFIX },
  );
  await app.register(webPlugin, { rendererDir: config.rendererDir });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/** Display name for the solo owner: the OS account name reads better than "owner" in chat. */
export function ownerDisplayName(): string {
  try {
    return os.userInfo().username || 'Owner';
  } catch {
    return 'Owner';
  }
}
