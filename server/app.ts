import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { API_PREFIX } from '../src/shared/routes.js';
import type { Config } from './config.js';
import { accounts } from './features/accounts/index.js';
import { chat } from './features/chat/index.js';
import { healthRoutes } from './features/health/index.js';
import { type ContainedReader, installSegmentFastPath, media } from './features/media/index.js';
import { presence, type TrackNameLookup } from './features/presence/index.js';
import { webPlugin } from './features/web/index.js';
import { errors } from './infra/errors.js';
import { type FfmpegLookup, locateFfmpeg } from './infra/ffmpeg.js';
import { metrics } from './infra/metrics.js';
import { rateLimit, type RateLimit, type RateLimitAction } from './infra/rate-limit/index.js';
import { HostPolicy, limitConnectionsPerClient, security } from './infra/security.js';
import { socket } from './infra/socket.js';
import { redactUrl } from './infra/log-redaction.js';
import { stores } from './infra/stores.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** Tokens travel in stream URLs and in Authorization headers: neither reaches the log. */
function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream ? { stream } : {}),
    // `*.headers…` covers plugins that log their own options at trace level (@fastify/multipart logs busboy's).
    redact: { paths: ['*.headers.authorization', '*.headers.cookie', '*.password', '*.token', '*.owner_token'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
    },
  };
}

export interface AppOptions {
  /** Where JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Track id → name for presence "listening to" (default: the track's title). */
  lookupTrackName?: TrackNameLookup;
  /** Test knobs: an injected clock for rate limits, other limits, a shorter presence TTL/heartbeat/grace. */
  chat?: {
    now?: () => number;
    rateLimits?: Partial<Record<RateLimitAction, RateLimit>>;
    presenceTtlMs?: number;
    heartbeatMs?: number;
    offlineGraceMs?: number;
  };
  /** Clock of stream tokens (tests move time). */
  now?: () => number;
  /** Reader of HLS files (tests record what gets opened). */
  hlsRead?: ContainedReader;
  /** How often a cached track's HLS folder is re-checked for an unannounced swap (tests isolate the broadcast). */
  hlsRecheckMs?: number;
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
    // Behind a reverse proxy the client is the forwarded address, but only from proxies named here:
    // anyone else's X-Forwarded-For would let a client pick its own address for the sign-in limits.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // A stalled client is cut after a minute of silence; no cap on a whole request, which would cut a
    // long upload that is still progressing. Slow-drip clients are bounded by the per-client cap.
    connectionTimeout: config.idleTimeoutMs,
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.server.headersTimeout = 15_000;
  limitConnectionsPerClient(app.server, config.maxConnectionsPerClient);
  // Before socket.io wraps the server's request listeners (see install-segment-fast-path.ts).
  const fastPath = installSegmentFastPath(app);
  const policy = new HostPolicy(config.port, config.publicHosts);
  let ffmpegLookup: Promise<FfmpegLookup> | undefined;
  const ffmpeg = () => (ffmpegLookup ??= locateFfmpeg(config.ffmpegPath));

  app.decorate('config', config);
  app.addHook('onSend', async (request, reply) => void reply.header('X-Request-Id', request.id));
  await app.register(errors);
  await app.register(security, { policy });
  await app.register(metrics, { token: config.metricsToken });
  await app.register(stores, { config });
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
    },
    { prefix: API_PREFIX },
  );

  await app.register(accounts, { allowSignup: config.allowSignup, sessionTtlMs: config.sessionTtlMs });
  await app.register(socket, { policy, redisUrl: config.redisUrl, authenticate: (token) => app.accounts.authenticate(token) });
  await app.register(rateLimit, { limits: options.chat?.rateLimits, now: options.chat?.now });
  await app.register(media, { config, ffmpeg, fastPath, now: options.now, hlsRead: options.hlsRead, hlsRecheckMs: options.hlsRecheckMs });
  // The two link both ways: a `room:join` answers with the members' presence, presence goes to the user's rooms.
  await app.register(chat, { membersPresence: (userIds) => app.presence.getMany(userIds), now: options.chat?.now });
  await app.register(presence, {
    lookupTrackName: options.lookupTrackName,
    ttlMs: options.chat?.presenceTtlMs ?? config.presenceTtlMs,
    heartbeatMs: options.chat?.heartbeatMs,
    offlineGraceMs: options.chat?.offlineGraceMs,
  });
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
