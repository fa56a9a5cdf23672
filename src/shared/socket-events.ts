/**
 * The socket.io contract (CONTRACT.md "Chat"): every client payload as a TypeBox schema, the event
 * maps' types derived from them. The server validates client payloads with these very schemas
 * (`onClientEvent` refuses a schema whose type is not its event's payload); the renderer and main
 * import this module for types only, so TypeBox stays out of their bundles.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { TrackStatusEvent } from './api.js';
import { type Message, Nullable, type Presence, type SearchHit, UUID_PATTERN } from './chat.js';
import type { ErrorCode } from './errors.js';
import { CLIENT_ID_MAX_LENGTH, MESSAGE_PAYLOAD_MAX_LENGTH, SEARCH_QUERY_MAX_LENGTH } from './limits.js';

export interface SocketError {
  code: ErrorCode;
  message: string;
  /** With RATE_LIMITED: when the next attempt can succeed. */
  retry_after_ms?: number;
}

/** Every client event takes an acknowledgement answering with this. */
export type AckResult<T extends object = object> = ({ ok: true } & T) | { ok: false; error: SocketError };
export type Ack<T extends object = object> = (result: AckResult<T>) => void;

const Id = Type.String({ pattern: UUID_PATTERN });
/** Lengths are checked again by the service once the text is cleaned (MESSAGE_MAX_LENGTH). */
const Content = Type.String({ minLength: 1, maxLength: MESSAGE_PAYLOAD_MAX_LENGTH });

// Client → server payloads.

export const RoomPayloadSchema = Type.Object({ room_id: Id });
type RoomPayload = Static<typeof RoomPayloadSchema>;

export const SendMessagePayloadSchema = Type.Object({
  room_id: Id,
  /** Chosen by the client (a UUID or any 1–64 chars); a retry with the same one never creates a second message. */
  client_id: Type.String({ minLength: 1, maxLength: CLIENT_ID_MAX_LENGTH, pattern: '^[A-Za-z0-9_.:-]+$' }),
  content: Content,
  track_id: Type.Optional(Nullable(Id)),
  track_time_s: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 86_400 }))),
});
export type SendMessagePayload = Static<typeof SendMessagePayloadSchema>;

export const EditMessagePayloadSchema = Type.Object({ message_id: Id, content: Content });
export const DeleteMessagePayloadSchema = Type.Object({ message_id: Id });

export const HistoryFetchPayloadSchema = Type.Object({
  room_id: Id,
  /** Older than this `seq`, newest first. */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Newer than this `seq`, oldest first (catching up after a reconnect). Excludes `before`. */
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const SearchPayloadSchema = Type.Object({
  room_id: Id,
  q: Type.String({ maxLength: SEARCH_QUERY_MAX_LENGTH }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});

/** What the player is playing (null: nothing), for presence's "listening to". */
export const ListeningPayloadSchema = Type.Object({ track_id: Nullable(Id) });

export interface ClientToServerEvents {
  'room:join': (payload: RoomPayload, ack: Ack<{ presence: Presence[] }>) => void;
  'room:leave': (payload: RoomPayload, ack: Ack) => void;
  'message:send': (payload: SendMessagePayload, ack: Ack<{ message: Message }>) => void;
  'message:edit': (payload: Static<typeof EditMessagePayloadSchema>, ack: Ack<{ message: Message }>) => void;
  'message:delete': (payload: Static<typeof DeleteMessagePayloadSchema>, ack: Ack<{ message_id: string }>) => void;
  'history:fetch': (payload: Static<typeof HistoryFetchPayloadSchema>, ack: Ack<{ messages: Message[] }>) => void;
  search: (payload: Static<typeof SearchPayloadSchema>, ack: Ack<{ messages: SearchHit[]; total: number; total_capped: boolean }>) => void;
  typing: (payload: RoomPayload, ack?: Ack) => void;
  'presence:listening': (payload: Static<typeof ListeningPayloadSchema>, ack?: Ack<{ presence: Presence }>) => void;
}

/** The payload a client event carries. */
export type ClientEventPayload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];

// Server → client events: built by the server from its own rows (Message, Presence and Track come from
// schemas in chat.ts and api.ts), so they are types, not validated on the way out.

export interface TypingEvent {
  room_id: string;
  user_id: string;
  display_name: string;
}

export interface MessageDeletedEvent {
  room_id: string;
  message_id: string;
}

export interface ServerToClientEvents {
  'message:new': (message: Message) => void;
  'message:updated': (message: Message) => void;
  'message:deleted': (event: MessageDeletedEvent) => void;
  typing: (event: TypingEvent) => void;
  /**
   * Presence changes, coalesced per room for a short tick (the latest state of each user changed in it):
   * a crowd connecting costs one delivery per member per tick instead of one per member per arrival.
   */
  'presence:updates': (updates: Presence[]) => void;
  /** Transcode progress and readiness of the user's own tracks (sent to the user's room). */
  'track:status': (event: TrackStatusEvent) => void;
}
