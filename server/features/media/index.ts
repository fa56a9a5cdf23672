/**
 * The media feature: library (tracks), transcoding (FFmpeg → HLS ladder, crash-safe job queue) and
 * delivery (HLS routes, segment cache and fast path, `/stream`). The library, the transcoder and its
 * queue know nothing of each other's storage or of sockets: they are joined here.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { ErrorCode } from '../../../src/shared/errors.js';
import { API_PREFIX } from '../../../src/shared/routes.js';
import type { Config } from '../../config.js';
import { AppError } from '../../infra/errors.js';
import type { FfmpegLookup } from '../../infra/ffmpeg.js';
import { userRoom } from '../../infra/socket.js';
import { HlsLayout } from './hls-layout.js';
import { hlsRoutes } from './hls/hls.routes.js';
import { type ContainedReader, HlsService } from './hls/hls.service.js';
import { SEGMENT_ROUTE, SegmentFastPath } from './hls/segment-fast-path.js';
import type { SegmentFastPathSlot } from './install-segment-fast-path.js';
import { loadStreamKeys, StreamTokens } from './stream-tokens.js';
import { MediaStore } from './tracks/media-store.js';
import { TracksRepository } from './tracks/tracks.repository.js';
import { tracksRoutes } from './tracks/tracks.routes.js';
import { toStatusEvent, TracksService } from './tracks/tracks.service.js';
import { JobQueue } from './transcoding/job-queue.js';
import { JobsRepository } from './transcoding/jobs.repository.js';
import { probeMedia } from './transcoding/media-probe.js';
import { Transcoder } from './transcoding/transcoder.js';
import type { User } from '../../../src/shared/api.js';

export type { ContainedReader } from './hls/hls.service.js';
export { installSegmentFastPath } from './install-segment-fast-path.js';

declare module 'fastify' {
  interface FastifyInstance {
    tracks: TracksService;
    transcodeQueue: JobQueue;
  }
}

export interface MediaOptions {
  config: Config;
  /** The app's one FFmpeg lookup (health reports it too). */
  ffmpeg: () => Promise<FfmpegLookup>;
  fastPath: SegmentFastPathSlot;
  /** Clock of stream tokens (tests move time). */
  now?: () => number;
  /** Reader of HLS files (tests record what gets opened). */
  hlsRead?: ContainedReader;
  /** How often a cached track's HLS folder is re-checked for an unannounced swap. */
  hlsRecheckMs?: number;
}

/**
 * kv pub/sub channel: `<instance id> <track id>` of an HLS ladder that was swapped or removed (channels are
 * not key-prefixed). The sender has invalidated its own cache already and skips its own message.
 */
const HLS_INVALIDATE_CHANNEL = 'veza:hls:invalidate';
/** `<instance id> <track id> <fence or *>`: stop a local encode of the track whose claim is at most that fence. */
const JOB_CANCEL_CHANNEL = 'veza:jobs:cancel';

async function mediaPlugin(app: FastifyInstance, { config, ffmpeg, fastPath, ...options }: MediaOptions) {
  const binaries = async () => {
    const lookup = await ffmpeg();
    if (!lookup.ok) throw new AppError(503, ErrorCode.SERVICE_UNAVAILABLE, lookup.error);
    return lookup.binaries;
  };
  const ownsAll = config.mode === 'solo';
  const store = new MediaStore(config.mediaDir);
  await store.init({ ownsAll });
  const layout = new HlsLayout(store.hlsDir);
  // Leftovers of a crash never stop a start: what cannot be removed now is retried at the track's next attempt.
  if (ownsAll) await layout.removeLeftovers().catch((error: unknown) => app.log.warn({ err: error }, 'could not remove every transcode leftover'));

  // Team instances share the media dir and the jobs but each runs its own encodes and cache: whoever
  // re-transcodes, deletes or swaps a ladder tells the others.
  const instanceId = randomUUID();
  const broadcast = (channel: string, message: string) =>
    app.kv.publish(channel, `${instanceId} ${message}`).catch((error: unknown) => {
      // Not fatal: superseded encodes stop at their next lease renewal, caches revalidate the folder.
      app.log.warn({ err: error, channel, message }, 'not broadcast to the other instances');
    });

  const jobs = new JobsRepository(app.db.db, app.db.dialect);
  const queue = new JobQueue({
    store: jobs,
    transcoder: new Transcoder({ binaries, layout, ladderKbps: config.hlsLadderKbps, aacCoder: config.aacCoder, staleAfterMs: config.jobLeaseMs }),
    // The same containment as /stream: a planted symlink is never handed to FFmpeg.
    originalPath: async (trackId) => {
      const original = await store.containedOriginal(trackId);
      if (!original) throw new Error('The original file is missing or is not a regular file in the media dir');
      return original.path;
    },
    cores: config.transcodeCores,
    ownsAllJobs: ownsAll,
    leaseMs: config.jobLeaseMs,
    pollMs: Math.min(5000, config.jobLeaseMs / 2),
    cancelElsewhere: (trackId, upToFence) => void broadcast(JOB_CANCEL_CHANNEL, `${trackId} ${upToFence ?? '*'}`),
    log: app.log,
  });
  const tracks = new TracksService({
    repository: new TracksRepository(app.db.db),
    media: store,
    probe: async (file) => probeMedia(await binaries(), file),
    scheduler: queue,
    removeHls: (trackId) => layout.remove(trackId),
    hlsEnabled: config.hlsEnabled,
    onRemoved: (trackId) => invalidateEverywhere(trackId),
    queued: (ownerId) => jobs.queued(ownerId),
  });
  const streamTokens = new StreamTokens(loadStreamKeys(config.mediaDir, config.streamKeys), { ttlS: config.streamTokenTtlS, now: options.now });
  const hls = new HlsService({ tracks, layout, tokens: streamTokens, cacheBytes: config.hlsCacheBytes, read: options.hlsRead, recheckMs: options.hlsRecheckMs });

  const unsubscribes = [
    await app.kv.subscribe(HLS_INVALIDATE_CHANNEL, (message) => {
      const [sender, trackId] = message.split(' ');
      if (sender !== instanceId && trackId) hls.invalidate(trackId);
    }),
    await app.kv.subscribe(JOB_CANCEL_CHANNEL, (message) => {
      const [sender, trackId, fence] = message.split(' ');
      if (sender === instanceId || !trackId || !fence) return;
      void queue.cancelLocal(trackId, fence === '*' ? null : Number(fence));
    }),
  ];
  app.addHook('preClose', async () => void (await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe().catch(() => undefined)))));
  function invalidateEverywhere(trackId: string) {
    hls.invalidate(trackId);
    void broadcast(HLS_INVALIDATE_CHANNEL, trackId);
  }

  // The queue's job events become `track:status` for every tab of the owner.
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

  const requireFfmpeg = async () => void (await binaries());
  // Checked before a byte of the body is read: the per-user upload rate and the room left in the queue.
  const admitUpload = async (user: User) => {
    await app.rateLimiter.consume(user.id, 'upload');
    if (config.hlsEnabled) await tracks.checkQueueRoom(user);
  };
  await app.register(tracksRoutes, { prefix: API_PREFIX, tracks, streamTokens, media: store, maxUploadBytes: config.maxUploadBytes, requireFfmpeg, admitUpload });
  if (!config.hlsEnabled) return; // the HLS routes then answer 404
  await app.register(hlsRoutes, { prefix: API_PREFIX, tracks, hls });

  let isClosing = false;
  app.addHook('preClose', async () => void (isClosing = true));
  const served = app.httpDuration.labels('GET', SEGMENT_ROUTE, '200');
  const fastHits = new Counter({ name: 'veza_hls_segment_fast_path_total', help: 'Segment requests answered from memory ahead of Fastify routing', registers: [app.metrics] });
  fastPath.serveWith(
    new SegmentFastPath({
      isHostAllowed: (host) => app.hostPolicy.isHostAllowed(host),
      tokens: streamTokens,
      hls,
      observe: (seconds) => {
        served.observe(seconds);
        fastHits.inc();
      },
      log: app.log,
      isClosing: () => isClosing,
    }),
  );
}

export const media = fp(mediaPlugin, { name: 'media', dependencies: ['stores', 'metrics', 'security', 'auth', 'socket', 'rate-limit'] });
