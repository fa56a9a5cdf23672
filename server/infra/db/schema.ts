import type { Generated } from 'kysely';


/**
 * Row types shared by both dialects. Timestamps are ISO-8601 UTC strings on both sides
 * (TEXT in SQLite, timestamptz in PostgreSQL parsed back to ISO by the pool).
 */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  /** null: no password login (the solo owner signs in with its launch token). */
  password_hash: string | null;
  role: 'owner' | 'member';
  created_at: string;
}

interface AuthTokensTable {
  token_hash: string;
  user_id: string;
  kind: 'session' | 'launch';
  created_at: string;
  expires_at: string;
}

export interface RoomsTable {
  id: string;
  name: string;
  created_by: string | null;
  created_at: string;
  /** Highest `seq` handed out in this room; bumped inside the insert transaction. */
  last_seq: number;
}

interface RoomMembersTable {
  room_id: string;
  user_id: string;
  joined_at: string;
}

export interface MessagesTable {
  /** Integer key: the FTS5 external-content rowid in SQLite, an identity column in PostgreSQL. */
  num: Generated<number>;
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
  deleted_at: string | null;
}

export interface TracksTable {
  id: string;
  owner_id: string;
  title: string;
  artist: string;
  duration_s: number;
  /** The allowlisted FFmpeg demuxer the probe found (input format is forced to it later). */
  demuxer: string;
  codec: string;
  bit_rate: number | null;
  sample_rate: number;
  channels: number;
  size_bytes: number;
  created_at: string;
  updated_at: string;
}

export type JobStatus = 'pending' | 'processing' | 'ready' | 'failed';

interface TranscodeJobsTable {
  id: string;
  track_id: string;
  status: JobStatus;
  progress: number;
  attempts: number;
  /** Raised by every claim, never lowered: a write of an older claim matches no row. */
  claim_fence: Generated<number>;
  error: string | null;
  /** JSON array of the kb/s rungs written (set when ready). */
  rungs: string | null;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface DB {
  users: UsersTable;
  auth_tokens: AuthTokensTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  messages: MessagesTable;
  tracks: TracksTable;
  transcode_jobs: TranscodeJobsTable;
}
