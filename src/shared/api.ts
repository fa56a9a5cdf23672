/**
 * JSON shapes of the HTTP API (CONTRACT.md), as TypeBox schemas: the server validates and serializes
 * with them, and both sides take their TypeScript types from them. Field names are snake_case.
 */
import { type Static, Type } from '@sinclair/typebox';

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  display_name: Type.String(),
});
export type User = Static<typeof UserSchema>;

export const RegisterBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const LoginBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
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
