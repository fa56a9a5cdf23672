/**
 * Shapes of the API the renderer speaks (CONTRACT.md). Mirrors of the server branches' shared types
 * until they are on main; then this file re-exports them from src/shared.
 */
type StreamStatus = 'pending' | 'processing' | 'ready' | 'failed';

export interface Track {
  id: string;
  title: string;
  artist: string;
  duration_s: number;
  owner_id: string;
  created_at: string;
  stream_status: StreamStatus;
  stream_progress: number;
  stream_manifest_url: string | null;
  stream_error: string | null;
}

export interface TrackList {
  tracks: Track[];
  total: number;
}

export interface HlsInfo {
  track_id: string;
  hls_available: boolean;
  qualities: { name: string; bitrate: number }[];
  duration_s: number;
  master_url: string | null;
  /** When the token inside `master_url` stops working (if the server says). */
  expires_at?: string;
}

export interface TrackStatusEvent {
  track_id: string;
  stream_status: StreamStatus;
  stream_progress: number;
  stream_manifest_url: string | null;
  stream_error: string | null;
}

export interface Room {
  id: string;
  name: string;
  created_by: string | null;
  created_at: string;
  is_default: boolean;
  is_member: boolean;
}

export interface Message {
  id: string;
  room_id: string;
  user_id: string;
  client_id: string;
  seq: number;
  content: string;
  track_id: string | null;
  track_time_s: number | null;
  created_at: string;
  edited_at: string | null;
  is_deleted: boolean;
}

export interface SearchHit extends Message {
  snippet: string;
  /** [start, end) UTF-16 ranges of the matched words inside `snippet`. */
  highlights: [number, number][];
}

export interface Presence {
  user_id: string;
  status: 'online' | 'offline';
  last_seen: string | null;
  track_id: string | null;
  track_name: string | null;
}

interface SocketError {
  code: string;
  message: string;
  retry_after_ms?: number;
}

export type AckResult<T extends object = object> = ({ ok: true } & T) | { ok: false; error: SocketError };
type Ack<T extends object = object> = (result: AckResult<T>) => void;

export interface SendMessagePayload {
  room_id: string;
  client_id: string;
  content: string;
  track_id?: string | null;
  track_time_s?: number | null;
}

export interface ClientToServerEvents {
  'room:join': (payload: { room_id: string }, ack: Ack<{ presence: Presence[] }>) => void;
  'room:leave': (payload: { room_id: string }, ack: Ack) => void;
  'message:send': (payload: SendMessagePayload, ack: Ack<{ message: Message }>) => void;
  'message:edit': (payload: { message_id: string; content: string }, ack: Ack<{ message: Message }>) => void;
  'message:delete': (payload: { message_id: string }, ack: Ack<{ message_id: string }>) => void;
  'history:fetch': (payload: { room_id: string; before?: number; after?: number; limit?: number }, ack: Ack<{ messages: Message[] }>) => void;
  search: (payload: { room_id: string; q: string; limit?: number; offset?: number }, ack: Ack<{ messages: SearchHit[]; total: number; total_capped: boolean }>) => void;
  typing: (payload: { room_id: string }, ack?: Ack) => void;
  'presence:listening': (payload: { track_id: string | null }, ack?: Ack<{ presence: Presence }>) => void;
}

export interface TypingEvent {
  room_id: string;
  user_id: string;
  display_name: string;
}

export interface ServerToClientEvents {
  'message:new': (message: Message) => void;
  'message:updated': (message: Message) => void;
  'message:deleted': (event: { room_id: string; message_id: string }) => void;
  typing: (event: TypingEvent) => void;
  'presence:update': (presence: Presence) => void;
  'track:status': (event: TrackStatusEvent) => void;
}
