import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HlsStatusSchema, TrackParamsSchema } from '../../../src/shared/api.js';
import type { TracksService } from '../tracks/tracks.service.js';

interface HlsRoutesOptions {
  tracks: TracksService;
}

/** HLS routes of the contract; registered only when VEZA_HLS is on (otherwise they answer 404). */
export const hlsRoutes: FastifyPluginAsyncTypebox<HlsRoutesOptions> = async (app, opts) => {
  const { tracks } = opts;

  app.get(
    '/tracks/:id/hls/status',
    { onRequest: app.requireUser, schema: { tags: ['hls'], params: TrackParamsSchema, response: { 200: HlsStatusSchema } } },
    async (request) => tracks.status(request.params.id),
  );

  app.post(
    '/tracks/:id/hls/transcode',
    { onRequest: app.requireUser, schema: { tags: ['hls'], params: TrackParamsSchema, response: { 202: HlsStatusSchema } } },
    async (request, reply) => reply.code(202).send(await tracks.retranscode(request.user!, request.params.id)),
  );
};
