import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ClientToServerEvents,
  ListeningPayloadSchema,
  RoomPayloadSchema,
  SendMessagePayloadSchema,
} from '../../src/shared/socket-events.js';
import { startSocketApp, type SocketTestApp } from '../../test/support/socket-app.js';
import { onClientEvent, type TypedSocket } from './socket-events.js';

/**
 * Compile-time half of the contract: tsc (tsconfig.node.json) checks this function, vitest never runs
 * it. Each `@ts-expect-error` fails the type check the day its line compiles, that is the day a
 * schema that drifted from its event would be accepted.
 */
function registrationsThatMustNotCompile(socket: TypedSocket, log: FastifyBaseLogger) {
  const noPresence = async () => ({ presence: [] });
  onClientEvent(socket, 'room:join', RoomPayloadSchema, log, noPresence);
  // @ts-expect-error: another event's schema
  onClientEvent(socket, 'room:join', SendMessagePayloadSchema, log, noPresence);
  // @ts-expect-error: a field the contract does not have
  onClientEvent(socket, 'room:join', Type.Object({ room_id: Type.String(), extra: Type.String() }), log, noPresence);
  // @ts-expect-error: a field missing
  onClientEvent(socket, 'room:leave', Type.Object({}), log, async () => ({}));
  // @ts-expect-error: a nullable field made non-null
  onClientEvent(socket, 'presence:listening', Type.Object({ track_id: Type.String() }), log, async () => ({ presence: null! }));
  // @ts-expect-error: an optional field made required
  onClientEvent(socket, 'message:send', Type.Required(SendMessagePayloadSchema), log, async () => ({ message: null! }));
  onClientEvent(socket, 'presence:listening', ListeningPayloadSchema, log, async () => ({ presence: null! }));
}

/** Every client event; the type below fails to compile when the contract gains one that is not listed. */
const CLIENT_EVENTS = ['room:join', 'room:leave', 'message:send', 'message:edit', 'message:delete', 'history:fetch', 'search', 'typing', 'presence:listening'] as const;

describe('the socket contract', () => {
  let t: SocketTestApp;
  beforeAll(async () => {
    t = await startSocketApp();
  });
  afterAll(() => t.close());

  it('registers a handler only with its own event’s schema (checked by tsc)', () => {
    expectTypeOf(registrationsThatMustNotCompile).toBeFunction();
    expectTypeOf<Exclude<keyof ClientToServerEvents, (typeof CLIENT_EVENTS)[number]>>().toBeNever();
  });

  it.each(CLIENT_EVENTS)('the server validates every %s payload against its schema', async (event) => {
    const { token } = await t.signUp(`u${CLIENT_EVENTS.indexOf(event)}`);
    const client = await t.connect(token);
    const answer = await (client.timeout(5000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> }).emitWithAck(event, {
      room_id: 'not-a-uuid',
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((answer as { error: { message: string } }).error.message).toContain(`Invalid ${event} payload`);
  });
});
