import type { Presence } from '../../../src/shared/chat.js';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { userRoom } from '../../infra/socket.js';
import { onClientEvent, roomChannel, type TypedServer, type TypedSocket } from '../../infra/socket-events.js';
import {
  DeleteMessagePayloadSchema,
  EditMessagePayloadSchema,
  HistoryFetchPayloadSchema,
  RoomPayloadSchema,
  SearchPayloadSchema,
  SendMessagePayloadSchema,
} from '../../../src/shared/socket-events.js';
import type { ChatEvents, ChatService } from './chat.service.js';

/** Chat events to socket.io rooms: each chat room is a socket.io room, members' sockets are in it. */
export function socketChatEvents(io: TypedServer, metrics: Registry): ChatEvents {
  const sent = new Counter({ name: 'veza_chat_messages_sent_total', help: 'Chat messages stored and broadcast', registers: [metrics] });
  return {
    messageCreated(message) {
      sent.inc();
      io.to(roomChannel(message.room_id)).emit('message:new', message);
    },
    messageUpdated(message) {
      io.to(roomChannel(message.room_id)).emit('message:updated', message);
    },
    messageDeleted(event) {
      io.to(roomChannel(event.room_id)).emit('message:deleted', event);
    },
    membershipChanged(userId, roomId, isMember) {
      // Every tab and device of the user follows, on every instance (through the adapter).
      if (isMember) io.in(userRoom(userId)).socketsJoin(roomChannel(roomId));
      else io.in(userRoom(userId)).socketsLeave(roomChannel(roomId));
    },
  };
}

export interface ChatSocketOptions {
  io: TypedServer;
  chat: ChatService;
  log: FastifyBaseLogger;
  metrics: Registry;
  /** Presence of a room's members for the `room:join` answer. */
  roomPresence(roomId: string): Promise<Presence[]>;
}

export function registerChatSocket({ io, chat, log, metrics, roomPresence }: ChatSocketOptions): void {
  const connected = new Gauge({ name: 'veza_chat_sockets_connected', help: 'Open chat sockets on this instance', registers: [metrics] });

  // Joining the member rooms in a middleware means the client's `connect` arrives after it: a client
  // that is connected receives its rooms' messages, with no race against the first send.
  io.use((socket, next) => {
    chat.memberRoomIds(socket.data.user.id).then(
      (roomIds) => {
        void socket.join(roomIds.map(roomChannel));
        next();
      },
      (error: unknown) => {
        log.warn({ err: error }, 'chat: could not load the rooms of a connecting user');
        next(new Error('Service unavailable'));
      },
    );
  });

  io.on('connection', (socket: TypedSocket) => {
    connected.inc();
    socket.on('disconnect', () => connected.dec());
    const user = socket.data.user;

    onClientEvent(socket, 'room:join', RoomPayloadSchema, log, async ({ room_id }) => {
      await chat.joinRoom(user, room_id);
      await socket.join(roomChannel(room_id));
      return { presence: await roomPresence(room_id) };
    });
    onClientEvent(socket, 'room:leave', RoomPayloadSchema, log, async ({ room_id }) => {
      await chat.leaveRoom(user, room_id);
      return {};
    });
    // Sends from one socket are stored in the order they were emitted, even without waiting for acks.
    let sending: Promise<unknown> = Promise.resolve();
    onClientEvent(socket, 'message:send', SendMessagePayloadSchema, log, (payload) => {
      const isKnownMember = socket.rooms.has(roomChannel(payload.room_id));
      const result = sending.then(async () => ({ message: await chat.send(user, payload, { isKnownMember }) }));
      sending = result.catch(() => undefined);
      return result;
    });
    onClientEvent(socket, 'message:edit', EditMessagePayloadSchema, log, async ({ message_id, content }) => ({
      message: await chat.edit(user, message_id, content),
    }));
    onClientEvent(socket, 'message:delete', DeleteMessagePayloadSchema, log, async ({ message_id }) => {
      await chat.delete(user, message_id);
      return { message_id };
    });
    onClientEvent(socket, 'history:fetch', HistoryFetchPayloadSchema, log, async ({ room_id, ...page }) => ({
      messages: (await chat.history(user, room_id, page)).messages,
    }));
    onClientEvent(socket, 'search', SearchPayloadSchema, log, async ({ room_id, q, ...page }) => chat.search(user, room_id, q, page));
    onClientEvent(socket, 'typing', RoomPayloadSchema, log, async ({ room_id }) => {
      await chat.typing(user, room_id);
      // Relayed, never stored; the sender's own socket does not need it back.
      socket.to(roomChannel(room_id)).emit('typing', { room_id, user_id: user.id, display_name: user.display_name });
      return {};
    });
  });
}
