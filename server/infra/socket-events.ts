import type { TSchema, Static } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import { ErrorCode } from '../../src/shared/errors.js';
import type { AckResult, ClientEventPayload, ClientToServerEvents, ServerToClientEvents } from '../../src/shared/socket-events.js';
import { AppError, toProblem } from './errors.js';
import { RateLimitedError } from './rate-limit/rate-limiter.js';
import type { SocketData } from './socket.js';

export type TypedServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type TypedSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** The socket.io room of a chat room (user rooms are `user:<id>`, see socket.ts). */
export const roomChannel = (roomId: string) => `room:${roomId}`;

type AckData<E extends keyof ClientToServerEvents> =
  Parameters<ClientToServerEvents[E]>[1] extends ((result: AckResult<infer T>) => void) | undefined ? T : never;

/** True only when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * A schema fit for event E: what it validates is exactly E's payload type. A schema that drifted from
 * the contract (a field more or less, another type) leaves `S` intersected with a string, which no
 * schema object is, so the call does not compile (socket-events.test.ts proves it).
 */
export type SchemaFor<E extends keyof ClientToServerEvents, S extends TSchema> =
  Same<Static<S>, ClientEventPayload<E>> extends true ? S : S & `schema does not match the ${E} payload`;

/**
 * One compiled checker per schema for the whole process. Compiling per socket (per event) built a new
 * function for every connection: slow to connect, and each copy ran cold (unoptimised) for its
 * socket's few messages — a measurable share of the send path in bench:chat.
 */
const compiledChecks = new WeakMap<TSchema, TypeCheck<TSchema>>();
function compiledCheck<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = compiledChecks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiledChecks.set(schema, check);
  }
  return check as TypeCheck<S>;
}

/**
 * Registers a client event: validates the payload against `schema`, runs `handler`, and answers the
 * acknowledgement with `{ ok: true, …result }` or `{ ok: false, error: { code, message } }`. Domain
 * errors keep their code; anything else is logged and answered INTERNAL, never thrown into socket.io.
 */
export function onClientEvent<E extends keyof ClientToServerEvents, S extends TSchema>(
  socket: TypedSocket,
  event: E,
  schema: SchemaFor<E, S>,
  log: FastifyBaseLogger,
  handler: (payload: Static<S>) => Promise<AckData<E>>,
): void {
  const check = compiledCheck(schema);
  const listener = async (payload: unknown, ack?: unknown) => {
    const reply = typeof ack === 'function' ? (ack as (result: unknown) => void) : () => undefined;
    if (!check.Check(payload)) {
      const first = check.Errors(payload).First();
      return reply(failure(ErrorCode.VALIDATION_FAILED, `Invalid ${event} payload${first ? `: ${first.path || '/'} ${first.message}` : ''}`));
    }
    try {
      const result = await handler(payload);
      reply({ ok: true, ...result });
    } catch (error) {
      if (error instanceof RateLimitedError) {
        return reply({ ok: false, error: { code: error.code, message: error.message, retry_after_ms: error.retryAfterMs } });
      }
      if (error instanceof AppError) return reply(failure(error.code, error.message));
      // The same answer as REST: a store outage is SERVICE_UNAVAILABLE (retry), not INTERNAL.
      const { code, detail, status } = toProblem(error as Error);
      if (status >= 500) log.error({ err: error, event }, 'socket event failed');
      reply(failure(code, detail));
    }
  };
  // socket.io types listeners by the event map; the payload is checked above, so `unknown` is honest.
  (socket as unknown as { on(event: string, listener: (payload: unknown, ack?: unknown) => void): void }).on(event, listener);
}

function failure(code: ErrorCode, message: string) {
  return { ok: false as const, error: { code, message } };
}
