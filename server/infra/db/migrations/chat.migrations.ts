import { type Kysely, type Migration, sql } from 'kysely';
import { DEFAULT_ROOM_ID, DEFAULT_ROOM_NAME } from '../../../../src/shared/chat.js';
import type { SqlDialect } from '../dialect.js';

/**
 * Chat tables. Written as SQL because the two dialects differ where it matters: the integer key that
 * FTS5 needs as rowid, and the full-text index (FTS5 + triggers vs a generated tsvector + GIN).
 */
export function chatMigrations(dialect: SqlDialect): Record<string, Migration> {
  return dialect === 'postgres' ? postgresMigrations : sqliteMigrations;
}

const sqliteMigrations: Record<string, Migration> = {
  '0002_chat_a_rooms_messages': {
    async up(db: Kysely<unknown>) {
      await sql`create table rooms (
        id text primary key,
        name text not null,
        created_by text references users(id) on delete set null,
        created_at text not null,
        last_seq integer not null default 0
      )`.execute(db);
      await sql`create table room_members (
        room_id text not null references rooms(id) on delete cascade,
        user_id text not null references users(id) on delete cascade,
        joined_at text not null,
        primary key (room_id, user_id)
      )`.execute(db);
      await sql`create index room_members_user_idx on room_members(user_id)`.execute(db);
      // num is the rowid alias FTS5 points at (AUTOINCREMENT: never reused); (user_id, client_id) makes
      // sends idempotent across retries, instances and restarts; (room_id, seq) is the history order.
      await sql`create table messages (
        num integer primary key autoincrement,
        id text not null unique,
        room_id text not null references rooms(id) on delete cascade,
        user_id text not null references users(id) on delete cascade,
        client_id text not null,
        seq integer not null,
        content text not null,
        track_id text,
        track_time_s real,
        created_at text not null,
        edited_at text,
        deleted_at text,
        room_key text generated always as ('r' || replace(room_id, '-', '')) virtual,
        unique (user_id, client_id),
        unique (room_id, seq)
      )`.execute(db);
      // SQLite computes a message's seq as max(seq) + 1 (one writer); this keeps rooms.last_seq in step.
      await sql`create trigger messages_room_seq after insert on messages begin
        update rooms set last_seq = new.seq where id = new.room_id;
      end`.execute(db);
      await insertDefaultRoom(db);
    },
  },
  '0002_chat_b_search': {
    async up(db: Kysely<unknown>) {
      // External content: the text lives once, in messages. The room is a token in its own column, so a
      // one-room query intersects two doclists instead of ranking every room's hits and filtering after.
      await sql`create virtual table messages_fts using fts5(
        room_key, content, content='messages', content_rowid='num', tokenize='unicode61 remove_diacritics 2'
      )`.execute(db);
      // Only live (not deleted) messages are indexed; the triggers keep it that way.
      await sql`create trigger messages_fts_insert after insert on messages when new.deleted_at is null begin
        insert into messages_fts(rowid, room_key, content) values (new.num, new.room_key, new.content);
      end`.execute(db);
      await sql`create trigger messages_fts_delete after delete on messages when old.deleted_at is null begin
        insert into messages_fts(messages_fts, rowid, room_key, content) values ('delete', old.num, old.room_key, old.content);
      end`.execute(db);
      // One trigger, so the old entry is always removed before the new one goes in (trigger order is unspecified).
      await sql`create trigger messages_fts_update after update of content, deleted_at on messages begin
        insert into messages_fts(messages_fts, rowid, room_key, content)
          select 'delete', old.num, old.room_key, old.content where old.deleted_at is null;
        insert into messages_fts(rowid, room_key, content)
          select new.num, new.room_key, new.content where new.deleted_at is null;
      end`.execute(db);
    },
  },
};

const postgresMigrations: Record<string, Migration> = {
  '0002_chat_a_rooms_messages': {
    async up(db: Kysely<unknown>) {
      await sql`create table rooms (
        id text primary key,
        name text not null,
        created_by text references users(id) on delete set null,
        created_at timestamptz not null,
        last_seq bigint not null default 0
      )`.execute(db);
      await sql`create table room_members (
        room_id text not null references rooms(id) on delete cascade,
        user_id text not null references users(id) on delete cascade,
        joined_at timestamptz not null,
        primary key (room_id, user_id)
      )`.execute(db);
      await sql`create index room_members_user_idx on room_members(user_id)`.execute(db);
      await sql`create table messages (
        num bigint generated always as identity primary key,
        id text not null unique,
        room_id text not null references rooms(id) on delete cascade,
        user_id text not null references users(id) on delete cascade,
        client_id text not null,
        seq bigint not null,
        content text not null,
        track_id text,
        track_time_s double precision,
        created_at timestamptz not null,
        edited_at timestamptz,
        deleted_at timestamptz,
        unique (user_id, client_id),
        unique (room_id, seq)
      )`.execute(db);
      await insertDefaultRoom(db);
    },
  },
  '0002_chat_b_search': {
    async up(db: Kysely<unknown>) {
      // btree_gin lets one GIN index carry (room_id, tsv): a one-room search never touches other rooms.
      // It is a trusted extension (PostgreSQL 13+), so a database owner without superuser may create it.
      await sql`create extension if not exists btree_gin`.execute(db);
      await sql`alter table messages add column tsv tsvector generated always as (to_tsvector('simple', content)) stored`.execute(db);
      await sql`create index messages_search_idx on messages using gin (room_id, tsv) where deleted_at is null`.execute(db);
    },
  },
  '0007_chat_room_terms': {
    async up(db: Kysely<unknown>) {
      // One GIN key per room and word, `<room>:<word>`, so a word's posting list holds only that room's
      // messages. The (room_id, tsv) index kept rooms and words in separate lists that a search had to
      // intersect, and a room's list is all of its messages: ~35 ms for a phrase across 20 rooms.
      // The room part is the id's first 8 characters (random in a UUID), which keeps keys short; the
      // search still checks room_id itself, so two rooms sharing a prefix cost a few extra rows, never a
      // wrong result.
      // SQL-standard bodies (`return …`, PostgreSQL 14+) bind their names when created: autovacuum's
      // ANALYZE and pg_restore evaluate index expressions with an empty search_path, where a `$$` body
      // calling another of these functions by name fails.
      await sql`create function veza_room_key(room text, lexeme text) returns text
        language sql immutable strict parallel safe
        return left(room, 8) || ':' || lexeme`.execute(db);
      // A tsvector lexeme holds at most 2047 bytes, and array_to_tsvector silently cuts longer ones to
      // the remainder: keys of words that long (no search can ask for them) are left out.
      await sql`create function veza_room_terms(room text, doc tsvector) returns tsvector
        language sql immutable strict parallel safe
        return array_to_tsvector(array(
          select key from (select veza_room_key(room, lexeme) as key from unnest(doc)) keys where octet_length(key) < 2048))`.execute(db);
      // A lexeme as a quoted tsquery operand: quotes doubled, backslashes escaped.
      await sql`create function veza_tsquery_operand(lexeme text) returns text
        language sql immutable strict parallel safe
        return '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''''`.execute(db);
      // What a search asks the index for one room: every word, as that room's keys ('a:red' & 'a:guitar').
      // A phrase's order is checked on the tsv column (these keys have no positions). Each key is quoted
      // for the tsquery syntax, so no user text reaches the query parser raw.
      await sql`create function veza_room_query(room text, words tsvector) returns tsquery
        language sql immutable strict parallel safe
        return (select string_agg(veza_tsquery_operand(veza_room_key(room, lexeme)), ' & ')::tsquery from unnest(words))`.execute(db);
      // Only live messages, like the index it replaces: a soft delete takes a message out.
      await sql`create index messages_room_terms_idx on messages using gin (veza_room_terms(room_id, tsv)) where deleted_at is null`.execute(db);
      await sql`drop index messages_search_idx`.execute(db);
    },
  },
  '0008_chat_room_terms_direct': {
    async up(db: Kysely<unknown>) {
      // GIN's fast update parks new entries in a pending list that every index scan reads in full until
      // (auto)vacuum merges it, and the search scans the index once per room: with 3,000 unvacuumed new
      // messages (under a third of the 4 MB list) a phrase across 20 rooms took 18 ms instead of 2.6.
      // Writing each message's keys straight into the index costs ~0.06 ms more per message.
      await sql`alter index messages_room_terms_idx set (fastupdate = off)`.execute(db);
      await sql`select gin_clean_pending_list('messages_room_terms_idx'::regclass)`.execute(db);
    },
  },
  '0009_chat_room_num': {
    async up(db: Kysely<unknown>) {
      // Each room's live messages in num order: a search for a common word across a few rooms merges
      // these newest first and reads only the rooms' own rows (the primary key walked every room's).
      await sql`create index messages_room_num_idx on messages (room_id, num) where deleted_at is null`.execute(db);
    },
  },
};

async function insertDefaultRoom(db: Kysely<unknown>) {
  await sql`insert into rooms (id, name, created_by, created_at, last_seq)
    values (${DEFAULT_ROOM_ID}, ${DEFAULT_ROOM_NAME}, null, ${new Date().toISOString()}, 0)`.execute(db);
}
