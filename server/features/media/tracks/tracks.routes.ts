import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  StreamQuerySchema,
  StreamUrlSchema,
  TrackListQuerySchema,
  TrackListSchema,
  TrackParamsSchema,
  TrackPatchSchema,
  TrackSchema,
  type User,
} from '../../../../src/shared/api.js';
import { TRACK_TEXT_MAX_LENGTH } from '../../../../src/shared/limits.js';
import { ErrorCode } from '../../../../src/shared/errors.js';
import { API_PREFIX } from '../../../../src/shared/routes.js';
import { isSingleLineText, normalizeText } from '../../../../src/shared/text.js';
import { AppError, unauthorized } from '../../../infra/errors.js';
import type { StreamTokens } from '../stream-tokens.js';
import { sendRange } from '../http-range.js';
import type { MediaStore } from './media-store.js';
import { titleFromFileName, type TracksService } from './tracks.service.js';

interface TracksRoutesOptions {
  tracks: TracksService;
  /** Track-scoped, expiring tokens (the HLS ones): an <audio> element cannot send a bearer header. */
  streamTokens: StreamTokens;
  media: MediaStore;
  maxUploadBytes: number;
  /** Throws a 503 problem when FFmpeg is missing (checked before reading an upload). */
  requireFfmpeg: () => Promise<void>;
  /** Throws 429 when the user may not upload now (rate, queue room), before the body is read. */
  admitUpload: (user: User) => Promise<void>;
}

/** Busboy's parse errors are plain Errors (no code): the body's fault, not the server's. */
function isMalformedMultipart(error: unknown): boolean {
  return error instanceof Error && !(error instanceof AppError) && !('code' in error) && /multipart|boundary/i.test(error.message);
}

export const tracksRoutes: FastifyPluginAsyncTypebox<TracksRoutesOptions> = async (app, opts) => {
  const { tracks } = opts;
  await app.register(multipart, {
    // Keep path parts of the client's file name so they can be refused rather than silently stripped.
    preservePath: true,
    limits: { fileSize: opts.maxUploadBytes, files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 50 },
  });
  // Uploads still streaming when the server shuts down are cut at once (503, file removed): shutdown
  // must not wait for a slow client, nor leave half a file behind.
  const uploadsInFlight = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const abort of uploadsInFlight) abort();
  });
  // `/stream` takes a bearer token or a stream token; everything else needs a signed-in user.
  app.addHook('onRequest', async (request) => {
    const isStream = request.routeOptions.url?.endsWith('/stream') && typeof (request.query as { token?: unknown }).token === 'string';
    if (!isStream) await app.requireUser(request);
  });

  app.post(
    '/tracks',
    {
      schema: { tags: ['tracks'], consumes: ['multipart/form-data'], response: { 201: TrackSchema } },
      // A refusal before the body was read to its end: the connection cannot carry another request.
      onError: async (request, reply) => void (request.raw.readableEnded || reply.header('connection', 'close')),
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA, 'Send the audio as multipart/form-data with a `file` field');
      await opts.requireFfmpeg();
      await opts.admitUpload(request.user!);
      const fields: Record<string, string> = {};
      let upload: { tempPath: string; fileName: string } | null = null;
      let sink: fs.WriteStream | null = null;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            if (typeof part.value === 'string') fields[part.fieldname] = normalizeText(part.value);
            continue;
          }
          if (part.fieldname !== 'file' || upload) {
            part.file.resume();
            throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'Send exactly one file, in the `file` field');
          }
          let fileName: string;
          try {
            fileName = titleFromFileName(part.filename);
          } catch (error) {
            part.file.resume();
            throw error;
          }
          const tempPath = opts.media.newUploadPath();
          upload = { tempPath, fileName };
          // Streamed to disk as it arrives: memory stays flat whatever the file size.
          sink = fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o600 });
          const abort = () => part.file.destroy(new AppError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down; upload again once it is back'));
          uploadsInFlight.add(abort);
          try {
            await pipeline(part.file, sink);
          } finally {
            uploadsInFlight.delete(abort);
          }
        }
        if (!upload) throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'The `file` field is missing');
        for (const name of ['title', 'artist'] as const) {
          const value = fields[name];
          if (value !== undefined && (value.length < 1 || value.length > TRACK_TEXT_MAX_LENGTH)) {
            throw new AppError(400, ErrorCode.VALIDATION_FAILED, `${name} must be 1-${TRACK_TEXT_MAX_LENGTH} characters`);
          }
          if (value !== undefined && !isSingleLineText(value)) {
            throw new AppError(400, ErrorCode.VALIDATION_FAILED, `${name} may not contain control characters or bidirectional overrides`);
          }
        }
      } catch (error) {
        // A failed pipeline may still be opening the file: remove it only once the stream has let go.
        const openSink = sink;
        if (openSink && !openSink.closed) await new Promise<void>((resolve) => openSink.once('close', () => resolve()));
        if (upload) await fs.promises.rm(upload.tempPath, { force: true });
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, `The file is larger than ${Math.round(opts.maxUploadBytes / 1024 / 1024)} MB`);
        }
        if (isMalformedMultipart(error)) throw new AppError(400, ErrorCode.VALIDATION_FAILED, `The upload is not well-formed multipart/form-data (${(error as Error).message})`);
        throw error;
      }
      const track = await tracks.create(request.user!, { ...upload, title: fields.title || undefined, artist: fields.artist || undefined });
      return reply.code(201).send(track);
    },
  );

  app.get('/tracks', { schema: { tags: ['tracks'], querystring: TrackListQuerySchema, response: { 200: TrackListSchema } } }, async (request) =>
    tracks.list(request.query.limit ?? 50, request.query.offset ?? 0),
  );

  app.get('/tracks/:id', { schema: { tags: ['tracks'], params: TrackParamsSchema, response: { 200: TrackSchema } } }, async (request) =>
    tracks.get(request.params.id),
  );

  app.patch('/tracks/:id', { schema: { tags: ['tracks'], params: TrackParamsSchema, body: TrackPatchSchema, response: { 200: TrackSchema } } }, async (request) =>
    tracks.update(request.user!, request.params.id, request.body),
  );

  app.delete('/tracks/:id', { schema: { tags: ['tracks'], params: TrackParamsSchema } }, async (request, reply) => {
    await tracks.delete(request.user!, request.params.id);
    return reply.code(204).send();
  });

  /** A ready-to-play URL of the original for media elements, carrying a stream token for this track. */
  app.get('/tracks/:id/stream-url', { schema: { tags: ['tracks'], params: TrackParamsSchema, response: { 200: StreamUrlSchema } } }, async (request) => {
    await tracks.get(request.params.id);
    const issued = opts.streamTokens.issue(request.params.id, request.user!.id);
    return { url: `${API_PREFIX}/tracks/${request.params.id}/stream?token=${issued.token}`, expires_at: issued.expiresAt };
  });

  /** The original, progressive, with Range: the player's fallback when HLS is off or not ready. */
  app.get('/tracks/:id/stream', { schema: { tags: ['tracks'], params: TrackParamsSchema, querystring: StreamQuerySchema } }, async (request, reply) => {
    if (request.query.token !== undefined && !opts.streamTokens.verify(request.query.token, request.params.id).ok) {
      throw unauthorized('Missing or invalid stream token');
    }
    const original = await tracks.original(request.params.id);
    reply.header('Content-Type', original.contentType).header('Last-Modified', original.modifiedAt.toUTCString());
    reply.header('Cache-Control', 'private, no-cache');
    return sendRange(request, reply, original.size, (range) => fs.createReadStream(original.path, range));
  });
};
