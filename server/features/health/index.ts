import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type HealthCheck, HealthSchema, type ServerMode } from '../../../src/shared/api.js';
import type { FfmpegLookup } from '../../infra/ffmpeg.js';

async function check(run: () => Promise<void>): Promise<HealthCheck> {
  try {
    await Promise.race([run(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 2000).unref())]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message || 'unavailable' };
  }
}

interface HealthOptions {
  mode: ServerMode;
  version: string;
  ffmpeg: () => Promise<FfmpegLookup>;
}

/** 503 when a store is down (a load balancer should stop sending traffic); a missing FFmpeg only degrades. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, opts) => {
  app.get('/health', { schema: { tags: ['operations'], response: { 200: HealthSchema, 503: HealthSchema } } }, async (_request, reply) => {
    const [db, kv, ffmpeg] = await Promise.all([
      check(() => app.db.ping()),
      check(() => app.kv.ping()),
      opts.ffmpeg().then((lookup): HealthCheck => (lookup.ok ? { ok: true } : { ok: false, error: lookup.error })),
    ]);
    const isStoreDown = !db.ok || !kv.ok;
    const status = isStoreDown ? 'down' : ffmpeg.ok ? 'ok' : 'degraded';
    return reply.code(isStoreDown ? 503 : 200).send({ status, mode: opts.mode, version: opts.version, checks: { db, kv, ffmpeg } });
  });
};
