import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CreateRoomBodySchema,
  HistoryPageSchema,
  HistoryQuerySchema,
  RoomListQuerySchema,
  RoomListSchema,
  RoomMembersSchema,
  RoomParamsSchema,
  RoomSchema,
  SearchQuerySchema,
  SearchResultSchema,
} from '../../../src/shared/chat.js';
import type { ChatService } from './chat.service.js';

/** REST side of the chat (CONTRACT "Chat"): rooms, history pages and search. */
export const chatRoutes: FastifyPluginAsyncTypebox<{ chat: ChatService }> = async (app, { chat }) => {
  const common = { tags: ['chat'], security: [{ bearer: [] }] };
  app.addHook('onRequest', app.requireUser);

  app.get('/rooms', { schema: { ...common, querystring: RoomListQuerySchema, response: { 200: RoomListSchema } } }, async (request) =>
    chat.listRooms(request.user!, { limit: request.query.limit ?? 200, offset: request.query.offset ?? 0 }),
  );

  app.post('/rooms', { schema: { ...common, body: CreateRoomBodySchema, response: { 201: RoomSchema } } }, async (request, reply) =>
    reply.code(201).send(await chat.createRoom(request.user!, request.body.name)),
  );

  app.post('/rooms/:id/join', { schema: { ...common, params: RoomParamsSchema, response: { 204: Type.Null() } } }, async (request, reply) => {
    await chat.joinRoom(request.user!, request.params.id);
    return reply.code(204).send(null);
  });

  app.post('/rooms/:id/leave', { schema: { ...common, params: RoomParamsSchema, response: { 204: Type.Null() } } }, async (request, reply) => {
    await chat.leaveRoom(request.user!, request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/rooms/:id/members', { schema: { ...common, params: RoomParamsSchema, response: { 200: RoomMembersSchema } } }, async (request) =>
    chat.members(request.user!, request.params.id),
  );

  app.get(
    '/rooms/:id/messages',
    { schema: { ...common, params: RoomParamsSchema, querystring: HistoryQuerySchema, response: { 200: HistoryPageSchema } } },
    async (request) => chat.history(request.user!, request.params.id, request.query),
  );

  app.get(
    '/rooms/:id/messages/search',
    { schema: { ...common, params: RoomParamsSchema, querystring: SearchQuerySchema, response: { 200: SearchResultSchema } } },
    async (request) => chat.search(request.user!, request.params.id, request.query.q, request.query),
  );

  /** Across every room the user is in. */
  app.get('/messages/search', { schema: { ...common, querystring: SearchQuerySchema, response: { 200: SearchResultSchema } } }, async (request) =>
    chat.search(request.user!, null, request.query.q, request.query),
  );
};
