/**
 * JSON shapes of the HTTP API (CONTRACT.md), as TypeBox schemas: the server validates and serializes
 * with them, and both sides take their TypeScript types from them. Field names are snake_case.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  DISPLAY_NAME_MAX_LENGTH,
  LOGIN_USERNAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  TRACK_TEXT_MAX_LENGTH,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from './limits.js';
import { SINGLE_LINE_TEXT_PATTERN } from './text.js';

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  display_name: Type.String(),
});
export type User = Static<typeof UserSchema>;

export const RegisterBodySchema = Type.Object(
  {
    username: Type.String({ minLength: USERNAME_MIN_LENGTH, maxLength: USERNAME_MAX_LENGTH, pattern: '^[A-Za-z0-9_.-]+$' }),
    password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, pattern: SINGLE_LINE_TEXT_PATTERN })),
  },
  { additionalProperties: false },
);

export const LoginBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: LOGIN_USERNAME_MAX_LENGTH, pattern: SINGLE_LINE_TEXT_PATTERN }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

export const AuthResultSchema = Type.Object({ user: UserSchema, token: Type.String() });
export type AuthResult = Static<typeof AuthResultSchema>;

const HealthCheckSchema = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
  mode: Type.Union([Type.Literal('solo'), Type.Literal('team')]),
  version: Type.String(),
  checks: Type.Object({ db: HealthCheckSchema, kv: HealthCheckSchema, ffmpeg: HealthCheckSchema }),
});
export type Health = Static<typeof HealthSchema>;
export type HealthCheck = Static<typeof HealthCheckSchema>;
export type ServerMode = Health['mode'];

/** Written by the server to `$VEZA_DATA_DIR/server.json` (mode 0600) once it listens. */
export interface ServerInfoFile {
  url: string;
  pid: number;
  mode: ServerMode;
  owner_token: string;
}

const StreamStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]);

export const TrackSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  artist: Type.String(),
  duration_s: Type.Number(),
  owner_id: Type.String(),
  created_at: Type.String(),
  stream_status: StreamStatusSchema,
  stream_progress: Type.Integer({ minimum: 0, maximum: 100 }),
  stream_manifest_url: Type.Union([Type.String(), Type.Null()]),
  stream_error: Type.Union([Type.String(), Type.Null()]),
});
export type Track = Static<typeof TrackSchema>;

export const TrackListSchema = Type.Object({ tracks: Type.Array(TrackSchema), total: Type.Integer() });
export type TrackList = Static<typeof TrackListSchema>;

export const TrackListQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const TrackPatchSchema = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: TRACK_TEXT_MAX_LENGTH, pattern: SINGLE_LINE_TEXT_PATTERN })),
    artist: Type.Optional(Type.String({ minLength: 1, maxLength: TRACK_TEXT_MAX_LENGTH, pattern: SINGLE_LINE_TEXT_PATTERN })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const TrackParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const HlsStatusSchema = Type.Object({
  track_id: Type.String(),
  status: StreamStatusSchema,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type HlsStatus = Static<typeof HlsStatusSchema>;

/** Server → owner's sockets (`track:status`): transcode progress and readiness of one track (no title). */
export type TrackStatusEvent = { track_id: Track['id'] } & Pick<Track, 'stream_status' | 'stream_progress' | 'stream_manifest_url' | 'stream_error'>;

export const HlsInfoSchema = Type.Object({
  track_id: Type.String(),
  hls_available: Type.Boolean(),
  qualities: Type.Array(Type.Object({ name: Type.String(), bitrate: Type.Integer() })),
  duration_s: Type.Number(),
  /** Ready to play as it is (carries a stream token); null until the ladder is ready. */
  master_url: Type.Union([Type.String(), Type.Null()]),
  /** Unix seconds when the token in master_url expires; call hls/info again to renew. */
  expires_at: Type.Union([Type.Integer(), Type.Null()]),
});
export type HlsInfo = Static<typeof HlsInfoSchema>;

/** `GET /tracks/:id/stream-url`: the original for media elements, which cannot send a bearer header. */
export const StreamUrlSchema = Type.Object({
  url: Type.String(),
  /** Unix seconds when the token in url expires. */
  expires_at: Type.Integer(),
});
export type StreamUrl = Static<typeof StreamUrlSchema>;

export const StreamQuerySchema = Type.Object({ token: Type.Optional(Type.String({ maxLength: 512 })) });
