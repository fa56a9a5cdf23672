/**
 * Typed socket.io event maps (CONTRACT.md "Chat"): what the client emits and what the server emits.
 * Pure types (no runtime imports), so the renderer can use them with socket.io-client.
 */
import type { TrackStatusEvent } from './api.js';
import type { Message, Presence, SearchHit } from './chat.js';
import type { ErrorCode } from './errors.js';

export interface SocketError {
  code: ErrorCode;
  message: string;
  /** With RATE_LIMITED: when the next attempt can succeed. */
  retry_after_ms?: number;
}

/** Every client event takes an acknowledgement answering with this. */
export type AckResult<T extends object = object> = ({ ok: true } & T) | { ok: false; error: SocketError };
export type Ack<T extends object = object> = (result: AckResult<T>) => void;

export interface SendMessagePayload {
  room_id: string;
  /** Chosen by the client (a UUID or any 1–64 chars); a retry with the same one never creates a second message. */
  client_id: string;
  content: string;
  track_id?: string | null;
  track_time_s?: number | null;
}

export interface HistoryFetchPayload {
  room_id: string;
  /** Older than this `seq`, newest first. */
  before?: number;
  /** Newer than this `seq`, oldest first (catching up after a reconnect). Excludes `before`. */
  after?: number;
  limit?: number;
}

export interface SearchPayload {
  room_id: string;
  q: string;
  limit?: number;
  offset?: number;
}

export interface ClientToServerEvents {
  'room:join': (payload: { room_id: string }, ack: Ack<{ presence: Presence[] }>) => void;
  'room:leave': (payload: { room_id: string }, ack: Ack) => void;
  'message:send': (payload: SendMessagePayload, ack: Ack<{ message: Message }>) => void;
  'message:edit': (payload: { message_id: string; content: string }, ack: Ack<{ message: Message }>) => void;
  'message:delete': (payload: { message_id: string }, ack: Ack<{ message_id: string }>) => void;
  'history:fetch': (payload: HistoryFetchPayload, ack: Ack<{ messages: Message[] }>) => void;
  search: (payload: SearchPayload, ack: Ack<{ messages: SearchHit[]; total: number; total_capped: boolean }>) => void;
  typing: (payload: { room_id: string }, ack?: Ack) => void;
  'presence:listening': (payload: { track_id: string | null }, ack?: Ack<{ presence: Presence }>) => void;
}

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
  'presence:update': (presence: Presence) => void;
  /** Transcode progress and readiness of the user's own tracks (sent to the user's room). */
  'track:status': (event: TrackStatusEvent) => void;
}
