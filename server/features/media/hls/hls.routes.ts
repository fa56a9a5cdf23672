import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HlsInfoSchema, HlsStatusSchema, TrackParamsSchema } from '../../../../src/shared/api.js';
import { MASTER_PLAYLIST, PLAYLIST_CONTENT_TYPE, RUNG_NAME, RUNG_PLAYLIST, SEGMENT_HEADERS, SEGMENT_NAME } from '../hls-layout.js';
import { sendRange } from '../http-range.js';
import type { TracksService } from '../tracks/tracks.service.js';
import type { CachedFile } from './segment-cache.js';
import type { HlsService } from './hls.service.js';

interface HlsRoutesOptions {
  tracks: TracksService;
  hls: HlsService;
}

const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) });
const QualityParams = Type.Object({ id: Type.String({ format: 'uuid' }), quality: Type.String({ pattern: RUNG_NAME.source }) });
const SegmentParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  quality: Type.String({ pattern: RUNG_NAME.source }),
  segment: Type.String({ pattern: SEGMENT_NAME.source }),
});

function notModified(request: FastifyRequest, etag: string): boolean {
  const given = request.headers['if-none-match'];
  return typeof given === 'string' && given.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag.replace(/^W\//, ''));
}

/** Playlists change with the token and on re-transcode: revalidate every time. */
function sendPlaylist(request: FastifyRequest, reply: FastifyReply, file: CachedFile, body: string) {
  const etag = `W/${file.etag}`;
  reply.header('Content-Type', PLAYLIST_CONTENT_TYPE).header('Cache-Control', 'no-cache').header('ETag', etag).header('Last-Modified', file.lastModified);
  if (notModified(request, etag)) return reply.code(304).send();
  return reply.send(body);
}

/** A segment never changes under its name while the token lives: cacheable, with Range. */
function sendSegment(request: FastifyRequest, reply: FastifyReply, file: CachedFile) {
  reply.headers(SEGMENT_HEADERS).header('ETag', file.etag).header('Last-Modified', file.lastModified);
  if (notModified(request, file.etag)) return reply.code(304).send();
  return sendRange(request, reply, file.body.length, (range) => (range ? file.body.subarray(range.start, range.end + 1) : file.body));
}

/** HLS routes of the contract; registered only when VEZA_HLS is on (otherwise they answer 404). */
export const hlsRoutes: FastifyPluginAsyncTypebox<HlsRoutesOptions> = async (app, opts) => {
  const { tracks, hls } = opts;

  app.get(
    '/tracks/:id/hls/info',
    { onRequest: app.requireUser, schema: { tags: ['hls'], params: TrackParamsSchema, response: { 200: HlsInfoSchema } } },
    async (request) => hls.info(request.params.id, request.user!.id, `${request.protocol}://${request.host}`),
  );

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

  // Media routes authenticate with the stream token in the query (players cannot send headers).
  app.get(`/tracks/:id/hls/${MASTER_PLAYLIST}`, { schema: { tags: ['hls'], params: TrackParamsSchema, querystring: TokenQuery } }, async (request, reply) => {
    const { id } = request.params;
    hls.verify(id, request.query.token);
    const file = await hls.file(id, MASTER_PLAYLIST);
    return sendPlaylist(request, reply, file, hls.withToken(file.body, request.query.token!));
  });

  app.get(`/tracks/:id/hls/:quality/${RUNG_PLAYLIST}`, { schema: { tags: ['hls'], params: QualityParams, querystring: TokenQuery } }, async (request, reply) => {
    const { id, quality } = request.params;
    hls.verify(id, request.query.token);
    await hls.checkQuality(id, quality);
    const file = await hls.file(id, `${quality}/${RUNG_PLAYLIST}`);
    return sendPlaylist(request, reply, file, hls.withToken(file.body, request.query.token!));
  });

  app.get('/tracks/:id/hls/:quality/:segment', { schema: { tags: ['hls'], params: SegmentParams, querystring: TokenQuery } }, async (request, reply) => {
    const { id, quality, segment } = request.params;
    hls.checkSegmentName(segment);
    hls.verify(id, request.query.token);
    await hls.checkQuality(id, quality);
    return sendSegment(request, reply, await hls.file(id, `${quality}/${segment}`));
  });
};
