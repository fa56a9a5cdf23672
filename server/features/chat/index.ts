/** The chat: rooms, members, messages and search, over REST and the socket. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Presence } from '../../../src/shared/chat.js';
import { API_PREFIX } from '../../../src/shared/routes.js';
import type { TypedServer } from '../../infra/socket-events.js';
import { ChatRepository } from './chat.repository.js';
import { chatRoutes } from './chat.routes.js';
import { ChatService } from './chat.service.js';
import { registerChatSocket, socketChatEvents } from './chat.socket.js';

declare module 'fastify' {
  interface FastifyInstance {
    chat: ChatService;
  }
}

export interface ChatOptions {
  /** The members' presence that a `room:join` answers with (the presence feature's, registered after). */
  membersPresence(userIds: string[]): Promise<Presence[]>;
  now?: () => number;
}

async function chatPlugin(app: FastifyInstance, { membersPresence, now }: ChatOptions) {
  const io = app.io as TypedServer;
  const chat = new ChatService(new ChatRepository(app.db.db, app.db.dialect), app.rateLimiter, socketChatEvents(io, app.metrics), { now });
  app.decorate('chat', chat);
  registerChatSocket({ io, chat, log: app.log, metrics: app.metrics, roomPresence: async (roomId) => membersPresence(await chat.memberIds(roomId)) });
  await app.register(chatRoutes, { prefix: API_PREFIX, chat });
}

export const chat = fp(chatPlugin, { name: 'chat', dependencies: ['stores', 'metrics', 'auth', 'socket', 'rate-limit'] });
