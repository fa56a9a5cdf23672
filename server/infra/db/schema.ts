
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

export interface DB {
  users: UsersTable;
  auth_tokens: AuthTokensTable;
}
