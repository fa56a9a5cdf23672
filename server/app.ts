import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Counter, Gauge } from 'prom-client';
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
import { hlsRoutes } from './features/media/hls/hls.routes.js';
import { type ContainedReader, HlsService } from './features/media/hls/hls.service.js';
import { SEGMENT_ROUTE, SegmentFastPath } from './features/media/hls/segment-fast-path.js';
import { loadStreamKeys, StreamTokens } from './features/media/stream-tokens.js';
import { MediaStore } from './features/media/tracks/media-store.js';
import { TracksRepository } from './features/media/tracks/tracks.repository.js';
import { tracksRoutes } from './features/media/tracks/tracks.routes.js';
import { toStatusEvent, TracksService } from './features/media/tracks/tracks.service.js';
import { HlsLayout } from './features/media/transcoding/hls-output.js';
import { JobQueue } from './features/media/transcoding/job-queue.js';
import { JobsRepository } from './features/media/transcoding/jobs.repository.js';
import { probeMedia } from './features/media/transcoding/media-probe.js';
import { Transcoder } from './features/media/transcoding/transcoder.js';
import { webPlugin } from './features/web/web.plugin.js';
import { ErrorCode } from '../src/shared/errors.js';
import { AppError, errors } from './infra/errors.js';
import { type FfmpegLookup, locateFfmpeg } from './infra/ffmpeg.js';
import { metrics } from './infra/metrics.js';
import { type RateLimit, type RateLimitAction, RateLimiter } from './infra/rate-limit/rate-limiter.js';
import { HostPolicy, security } from './infra/security.js';
import { socket, userRoom } from './infra/socket.js';
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
    tracks: TracksService;
    transcodeQueue: JobQueue;
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
    // Bounds how long a stuck client can hold a connection open.
    requestTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Cached HLS segment hits are answered ahead of Fastify's routing (segment-fast-path.ts); every other
  // request reaches Fastify's own handler unchanged. Swapped in before socket.io wraps the listeners, so
  // Fastify still creates and configures its server itself (a second `localhost` binding, ::1, that
  // Fastify adds on listen simply goes without the fast path).
  let fastPath: SegmentFastPath | null = null;
  const fastifyListeners = app.server.listeners('request') as http.RequestListener[];
  if (fastifyListeners.length !== 1) throw new Error(`expected Fastify's one request listener, found ${fastifyListeners.length}`);
  const [fastifyHandler] = fastifyListeners as [http.RequestListener];
  app.server.removeListener('request', fastifyHandler);
  app.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (fastPath === null || !fastPath.tryServe(req, res)) fastifyHandler.call(app.server, req, res);
  });

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
    lookupTrackName: options.lookupTrackName ?? ((trackId) => app.tracks.get(trackId).then((track) => track.title, () => null)),
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
  const presenceSocket = registerPresenceSocket({
    io,
    presence,
    log: app.log,
    roomsOf: (userId) => chat.memberRoomIds(userId),
    limiter: rateLimiter,
    heartbeatMs: options.chat?.heartbeatMs,
    offlineGraceMs: options.chat?.offlineGraceMs,
  });
  app.addHook('onClose', () => presenceSocket.close());

  await app.register(swagger, {
    openapi: {
      info: { title: 'Veza API', version: VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const media = await wireMedia(app, config, ffmpeg, options);
  if (config.hlsEnabled) {
    let isClosing = false;
    app.addHook('preClose', async () => void (isClosing = true));
    const served = app.httpDuration.labels('GET', SEGMENT_ROUTE, '200');
    const fastHits = new Counter({ name: 'veza_hls_segment_fast_path_total', help: 'Segment requests answered from memory ahead of Fastify routing', registers: [app.metrics] });
    fastPath = new SegmentFastPath({
      isHostAllowed: (host) => policy.isHostAllowed(host),
      tokens: media.streamTokens,
      hls: media.hls,
      observe: (seconds) => {
        served.observe(seconds);
        fastHits.inc();
      },
      log: app.log,
      isClosing: () => isClosing,
    });
  }

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(healthRoutes, { mode: config.mode, version: VERSION, ffmpeg });
      await api.register(accountsRoutes, { accounts });
      await api.register(chatRoutes, { chat });
      await api.register(presenceRoutes, { presence, db: app.db.db });
      await api.register(tracksRoutes, { tracks: media.tracks, streamTokens: media.streamTokens, media: media.store, maxUploadBytes: config.maxUploadBytes, requireFfmpeg: media.requireFfmpeg });
      if (config.hlsEnabled) await api.register(hlsRoutes, { tracks: media.tracks, hls: media.hls });
    },
    { prefix: API_PREFIX },
  );
  await app.register(webPlugin, { rendererDir: config.rendererDir });
  return app;
}

/**
 * kv pub/sub channel: `<instance id> <track id>` of an HLS ladder that was swapped or removed (channels are
 * not key-prefixed). The sender has invalidated its own cache already and skips its own message.
 */
const HLS_INVALIDATE_CHANNEL = 'veza:hls:invalidate';

/**
 * Composition root of the media pipeline: the library, the transcoder and its queue know nothing of
 * each other's storage or of sockets; the queue's job events are turned into `track:status` here.
 */
async function wireMedia(app: FastifyInstance, config: Config, ffmpeg: () => Promise<FfmpegLookup>, options: AppOptions) {
  const binaries = async () => {
    const lookup = await ffmpeg();
    if (!lookup.ok) throw new AppError(503, ErrorCode.SERVICE_UNAVAILABLE, lookup.error);
    return lookup.binaries;
  };
  const store = new MediaStore(config.mediaDir);
  await store.init({ ownsAll: config.mode === 'solo' });
  const layout = new HlsLayout(store.hlsDir);
  if (config.mode === 'solo') await layout.removeLeftovers();
  const transcoder = new Transcoder({ binaries, layout, ladderKbps: config.hlsLadderKbps, aacCoder: config.aacCoder });
  const queue = new JobQueue({
    store: new JobsRepository(app.db.db, app.db.dialect),
    transcoder,
    originalPath: (trackId) => store.originalPath(trackId),
    cores: config.transcodeCores,
    ownsAllJobs: config.mode === 'solo',
    leaseMs: config.jobLeaseMs,
    pollMs: Math.min(5000, config.jobLeaseMs / 2),
    log: app.log,
  });
  const tracks = new TracksService({
    repository: new TracksRepository(app.db.db),
    media: store,
    probe: async (file) => probeMedia(await binaries(), file),
    scheduler: queue,
    removeHls: (trackId) => layout.remove(trackId),
    hlsEnabled: config.hlsEnabled,
  });

  const streamTokens = new StreamTokens(loadStreamKeys(config.mediaDir, config.streamKeys), { ttlS: config.streamTokenTtlS, now: options.now });
  const hls = new HlsService({
    tracks,
    hlsRoot: store.hlsDir,
    tokens: streamTokens,
    cacheBytes: config.hlsCacheBytes,
    read: options.hlsRead,
    recheckMs: options.hlsRecheckMs,
  });
  // Team instances share the media dir but each has its own cache: whoever swapped or removed a ladder
  // tells the others.
  const instanceId = randomUUID();
  const unsubscribe = await app.kv.subscribe(HLS_INVALIDATE_CHANNEL, (message) => {
    const [sender, trackId] = message.split(' ');
    if (sender !== instanceId && trackId) hls.invalidate(trackId);
  });
  app.addHook('preClose', () => unsubscribe().catch(() => undefined));
  const invalidateEverywhere = (trackId: string) => {
    hls.invalidate(trackId);
    app.kv.publish(HLS_INVALIDATE_CHANNEL, `${instanceId} ${trackId}`).catch((error: unknown) => {
      // The other instances then notice the swapped folder themselves (HlsService revalidation).
      app.log.warn({ err: error, trackId }, 'HLS cache invalidation not broadcast');
    });
  };
  tracks.onRemoved = invalidateEverywhere;

  const emitStatus = (trackId: string) =>
    tracks.get(trackId).then(
      (track) => void app.io.to(userRoom(track.owner_id)).emit('track:status', toStatusEvent(track)),
      () => undefined, // deleted meanwhile
    );
  const jobsFinished = new Counter({ name: 'veza_transcode_jobs_total', help: 'Transcode jobs finished, by outcome', labelNames: ['outcome'] as const, registers: [app.metrics] });
  new Gauge({ name: 'veza_transcode_jobs_running', help: 'Transcode jobs running in this instance', registers: [app.metrics], collect() { this.set(queue.runningCount); } });
  queue.on('job:progress', ({ trackId }) => void emitStatus(trackId));
  queue.on('job:ready', ({ trackId }) => {
    // A re-transcode swapped the ladder: no stale bytes or rungs may be served from memory, anywhere.
    invalidateEverywhere(trackId);
    jobsFinished.inc({ outcome: 'ready' });
    void emitStatus(trackId);
  });
  queue.on('job:failed', ({ trackId }) => {
    jobsFinished.inc({ outcome: 'failed' });
    void emitStatus(trackId);
  });

  app.decorate('tracks', tracks);
  app.decorate('transcodeQueue', queue);
  if (config.hlsEnabled) app.addHook('onReady', () => queue.start());
  // preClose: FFmpeg is killed and its job checkpointed before Fastify waits for connections.
  app.addHook('preClose', () => queue.close());
  return { tracks, store, hls, streamTokens, requireFfmpeg: async () => void (await binaries()) };
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
