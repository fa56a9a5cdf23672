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

export interface DB {
  users: UsersTable;
  auth_tokens: AuthTokensTable;
  rooms: RoomsTable;
  room_members: RoomMembersTable;
  messages: MessagesTable;
}
