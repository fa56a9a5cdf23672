import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Message, Room, RoomMember } from '../../../src/shared/chat.js';
import { DEFAULT_ROOM_ID } from '../../../src/shared/chat.js';
import type { SqlDialect } from '../../infra/db/database.js';
import type { DB, MessagesTable, RoomsTable } from '../../infra/db/schema.js';
import { foldedWords, fts5Match, type ParsedSearch, singleTermScore } from './search-query.js';

export type MessageRow = Omit<Selectable<MessagesTable>, 'num'> & { num?: number };

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    room_id: row.room_id,
    user_id: row.user_id,
    client_id: row.client_id,
    seq: Number(row.seq),
    content: row.deleted_at ? '' : row.content,
    track_id: row.track_id,
    track_time_s: row.track_time_s === null ? null : Number(row.track_time_s),
    created_at: row.created_at,
    edited_at: row.edited_at,
    is_deleted: row.deleted_at !== null,
  };
}

const MESSAGE_COLUMNS = [
  'num',
  'id',
  'room_id',
  'user_id',
  'client_id',
  'seq',
  'content',
  'track_id',
  'track_time_s',
  'created_at',
  'edited_at',
  'deleted_at',
] as const;

export interface NewMessage {
  id: string;
  room_id: string;
  user_id: string;
  client_id: string;
  content: string;
  track_id: string | null;
  track_time_s: number | null;
  created_at: string;
}

export interface SearchPage {
  rows: MessageRow[];
  /** Exact number of matches, or the cap when `totalCapped`. */
  total: number;
  /** More than `total` messages match: counting stopped at the cap (the rank window). */
  totalCapped: boolean;
}

/**
 * Search ranks at most this many matches, the newest ones: a word in most messages would otherwise
 * rank tens of thousands of rows to show 50. It is also where counting stops: `total` is exact up to
 * it, above it the result says `total_capped` (CONTRACT: `total` only "where cheap"). Finding and
 * counting every match of a word in most messages was the whole cost of such a search.
 */
export const SEARCH_RANK_WINDOW = 200;

/**
 * SQLite, across several rooms: words with fewer matches than this in the whole server are found by the
 * words alone, rooms checked per hit — a few thousand hits cost less than OR-ing every room token's
 * doclist (each is in all of its room's messages: 100,000 entries for 20 rooms at a million messages).
 */
const SQLITE_RARE_MATCHES = 2000;

/**
 * PostgreSQL: what one row costs the newest-first walk, next to one row the index path fetches (1). The
 * walk reads rows in order along a btree (~0.4 µs each on the bench data); the index path visits its
 * matches' scattered heap pages and sorts them (~1.7 µs each).
 */
const WALK_ROW_COST = 0.25;

/**
 * PostgreSQL: up to this many rooms, the walk merges the rooms' own indexes (one branch per room in the
 * statement); beyond, it walks the primary key, where the rooms' messages are then a large share anyway.
 */
const MERGED_WALK_MAX_ROOMS = 32;

/**
 * PostgreSQL: how many rows a walk reads at most, as a multiple of the rows it expects to need for the
 * window's matches (from the words' share server-wide). Where the words are rarer than that, it stops
 * there and the index answers instead.
 */
const WALK_REACH = 4;

export interface SearchTuning {
  /** How many of the newest matches a search ranks (tests make it small). */
  rankWindow?: number;
  /**
   * Force one way to the matches (tests check that both give the same answer). `rooms-in-index`: the
   * rooms are in the full-text index (FTS5 room tokens, PostgreSQL `<room>:<word>` keys). `other`:
   * SQLite finds the words alone and checks the rooms per hit; PostgreSQL walks the rooms' messages
   * newest first. By default each search picks the cheaper one.
   */
  path?: 'rooms-in-index' | 'other';
}

/** PostgreSQL's statistics of the tsv column: the share of rows holding each common lexeme. */
export interface TermStatistics {
  expires: number;
  rows: number;
  frequencies: Map<string, number>;
  /** Lexemes not in the list are rarer than the rarest listed one; the planner guesses half of it. */
  unlisted: number;
}

/**
 * The share of messages that match, from PostgreSQL's term statistics (undefined without statistics).
 * Plain words are assumed independent (as the planner does): their shares multiply. A phrase is not: its
 * words stand side by side in every match, so they come together far more often than chance says ("red
 * guitar": 0.04% expected that way, 1% real in the bench); it counts as its rarest word, an upper bound.
 */
export function matchShare(stats: Pick<TermStatistics, 'frequencies' | 'unlisted'>, search: ParsedSearch): number | undefined {
  if (stats.frequencies.size === 0) return undefined;
  const shares = search.words.map((word) => stats.frequencies.get(word) ?? stats.unlisted);
  return search.isPhrase ? Math.min(...shares) : shares.reduce((product, share) => product * share, 1);
}

/**
 * Is walking the rooms' messages newest first (stopping at the window) cheaper than fetching every match
 * through the index and sorting them? The index path reads all `share × roomRows` matches. The walk reads
 * `window / share` of the rooms' rows through their own indexes (one room, or up to
 * MERGED_WALK_MAX_ROOMS merged); across more rooms it walks the primary key, where the rooms' messages
 * are `roomRows / totalRows` of the rows. A word in 65% of messages: 310 rows walked instead of 65,000
 * fetched in 20 of 200 rooms; a phrase in 1%: 1,000 fetched instead of 20,000 walked.
 */
export function walkIsCheaper(c: WalkChoice): boolean {
  if (!(c.share > 0) || c.roomRows <= 0) return false;
  return walkedRows(c) * WALK_ROW_COST < c.share * c.roomRows;
}

interface WalkChoice {
  share: number;
  roomRows: number;
  totalRows: number;
  rooms: number;
  window: number;
}

/** The rows a walk expects to read for the window's matches: the rooms' own (merged), or along the primary key. */
function walkedRows(c: WalkChoice): number {
  const roomsShare = c.rooms <= MERGED_WALK_MAX_ROOMS ? 1 : Math.min(1, c.roomRows / Math.max(1, c.totalRows));
  return c.window / (c.share * roomsShare);
}

interface PendingInsert {
  message: NewMessage;
  resolve(row: MessageRow | undefined): void;
  reject(error: unknown): void;
}

/**
 * One statement: SQLite has a single writer, so max(seq) + 1 (read through the (room_id, seq) index)
 * cannot race; a trigger keeps rooms.last_seq in step. `undefined` when the client_id exists already.
 */
async function insertSqliteRow(db: Kysely<DB>, message: NewMessage): Promise<MessageRow | undefined> {
  const { rows } = await sql<MessageRow>`
    insert into messages (id, room_id, user_id, client_id, seq, content, track_id, track_time_s, created_at)
    select ${message.id}, ${message.room_id}, ${message.user_id}, ${message.client_id}, coalesce(max(seq), 0) + 1,
           ${message.content}, ${message.track_id}, ${message.track_time_s}, ${message.created_at}
    from messages where room_id = ${message.room_id}
    on conflict (user_id, client_id) do nothing
    returning num, id, room_id, user_id, client_id, seq, content, track_id, track_time_s, created_at, edited_at, deleted_at`.execute(db);
  return rows[0];
}

/** Thrown inside the insert transaction to roll back the seq bump when the client_id already exists. */
class DuplicateClientId extends Error {}

export class ChatRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: SqlDialect,
    tuning: SearchTuning = {},
  ) {
    this.rankWindow = tuning.rankWindow ?? SEARCH_RANK_WINDOW;
    this.path = tuning.path;
  }

  private readonly rankWindow: number;
  private readonly path: SearchTuning['path'];
  private termStatistics: TermStatistics | undefined;

  /** Every room, with whether `userId` is a member (rooms are open to everyone on the server). */
  async listRooms(userId: string): Promise<Room[]> {
    const rows = await this.db
      .selectFrom('rooms')
      .leftJoin('room_members', (join) => join.onRef('room_members.room_id', '=', 'rooms.id').on('room_members.user_id', '=', userId))
      .select(['rooms.id', 'rooms.name', 'rooms.created_by', 'rooms.created_at', 'room_members.user_id as member'])
      .orderBy('rooms.created_at')
      .orderBy('rooms.id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      created_by: row.created_by,
      created_at: row.created_at,
      is_default: row.id === DEFAULT_ROOM_ID,
      is_member: row.member !== null,
    }));
  }

  findRoom(id: string): Promise<Selectable<RoomsTable> | undefined> {
    return this.db.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async createRoom(room: { id: string; name: string; created_by: string; created_at: string }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('rooms').values({ ...room, last_seq: 0 }).execute();
      await trx.insertInto('room_members').values({ room_id: room.id, user_id: room.created_by, joined_at: room.created_at }).execute();
    });
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('room_members')
      .select('user_id')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async addMember(roomId: string, userId: string, joinedAt: string): Promise<void> {
    await this.db
      .insertInto('room_members')
      .values({ room_id: roomId, user_id: userId, joined_at: joinedAt })
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
      .execute();
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.db.deleteFrom('room_members').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
  }

  async memberRoomIds(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('room_members').select('room_id').where('user_id', '=', userId).execute();
    return rows.map((row) => row.room_id);
  }

  /** Members with their display names, by name; and how many there are in all. */
  async members(roomId: string, limit: number): Promise<{ members: RoomMember[]; total: number }> {
    const [members, count] = await Promise.all([
      this.db
        .selectFrom('room_members')
        .innerJoin('users', 'users.id', 'room_members.user_id')
        .select(['users.id as user_id', 'users.display_name'])
        .where('room_members.room_id', '=', roomId)
        .orderBy('users.display_name')
        .orderBy('users.id')
        .limit(limit)
        .execute(),
      this.db.selectFrom('room_members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('room_id', '=', roomId).executeTakeFirstOrThrow(),
    ]);
    return { members, total: Number(count.n) };
  }

  async memberIds(roomId: string, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('room_members').select('user_id').where('room_id', '=', roomId).limit(limit).execute();
    return rows.map((row) => row.user_id);
  }

  /**
   * Inserts a message with the room's next seq, or returns the message already stored under the
   * user's client_id. The unique constraint decides, so concurrent retries and other instances agree.
   * Seqs commit in order: a reader never sees seq n+1 before n.
   */
  async insertMessage(message: NewMessage): Promise<{ row: MessageRow; isNew: boolean }> {
    const row = this.dialect === 'sqlite' ? await this.insertSqlite(message) : await this.insertPostgres(message);
    if (row) return { row, isNew: true };
    const winner = await this.findByClientId(message.user_id, message.client_id);
    if (!winner) throw new Error('client_id conflict without a stored message');
    return { row: winner, isNew: false };
  }

  /** Sends waiting for the next SQLite group commit (see `insertSqlite`). */
  private pendingInserts: PendingInsert[] = [];

  /**
   * Group commit: sends that arrive in the same event-loop turn are written in one transaction. In
   * autocommit every send paid its own commit — a WAL frame and an FTS5 segment flush each — which was
   * the biggest per-message cost of a burst. A lone send still runs as one statement. Each caller is
   * answered only after the commit, so an ack never precedes durability.
   */
  private insertSqlite(message: NewMessage): Promise<MessageRow | undefined> {
    return new Promise((resolve, reject) => {
      this.pendingInserts.push({ message, resolve, reject });
      if (this.pendingInserts.length === 1) setImmediate(() => void this.flushSqliteInserts());
    });
  }

  private async flushSqliteInserts(): Promise<void> {
    const batch = this.pendingInserts;
    this.pendingInserts = [];
    if (batch.length === 1) {
      const [only] = batch as [PendingInsert];
      return insertSqliteRow(this.db, only.message).then(only.resolve, only.reject);
    }
    const outcomes: Array<{ row?: MessageRow; error?: unknown }> = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const { message } of batch) {
          // A failing statement (e.g. a room deleted meanwhile) is rolled back alone by SQLite; the
          // transaction and the other sends go on.
          try {
            outcomes.push({ row: await insertSqliteRow(trx, message) });
          } catch (error) {
            outcomes.push({ error });
          }
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.error !== undefined) pending.reject(outcome.error);
      else pending.resolve(outcome.row);
    });
  }

  /** The seq bump locks the room row, so concurrent senders commit their seqs in order. */
  private async insertPostgres(message: NewMessage): Promise<MessageRow | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const room = await trx
          .updateTable('rooms')
          .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
          .where('id', '=', message.room_id)
          .returning('last_seq')
          .executeTakeFirstOrThrow();
        const inserted = await trx
          .insertInto('messages')
          .values({ ...message, seq: Number(room.last_seq), edited_at: null, deleted_at: null })
          .onConflict((oc) => oc.columns(['user_id', 'client_id']).doNothing())
          .returning(MESSAGE_COLUMNS)
          .executeTakeFirst();
        // Roll the seq bump back: the message exists already.
        if (!inserted) throw new DuplicateClientId();
        return inserted;
      });
    } catch (error) {
      if (error instanceof DuplicateClientId) return undefined;
      throw error;
    }
  }

  findByClientId(userId: string, clientId: string): Promise<MessageRow | undefined> {
    return this.db
      .selectFrom('messages')
      .select(MESSAGE_COLUMNS)
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
  }

  findMessage(id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').select(MESSAGE_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  updateContent(id: string, content: string, editedAt: string): Promise<MessageRow | undefined> {
    return this.db
      .updateTable('messages')
      .set({ content, edited_at: editedAt })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning(MESSAGE_COLUMNS)
      .executeTakeFirst();
  }

  /** Soft delete: the row stays (the client_id keeps deduplicating) but leaves history and the search index. */
  async softDelete(id: string, deletedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({ deleted_at: deletedAt })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Newest first before `before`, or oldest first after `after`; deleted messages never appear. */
  history(roomId: string, page: { before?: number; after?: number; limit: number }): Promise<MessageRow[]> {
    let query = this.db.selectFrom('messages').select(MESSAGE_COLUMNS).where('room_id', '=', roomId).where('deleted_at', 'is', null);
    if (page.after !== undefined) {
      query = query.where('seq', '>', page.after).orderBy('seq', 'asc');
      if (page.before !== undefined) query = query.where('seq', '<', page.before);
    } else {
      if (page.before !== undefined) query = query.where('seq', '<', page.before);
      query = query.orderBy('seq', 'desc');
    }
    return query.limit(page.limit).execute();
  }

  /** Ranked (best first), then newest; only live messages of the given rooms. */
  search(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    const rooms = [...new Set(roomIds)];
    if (rooms.length === 0 || search.words.length === 0) return Promise.resolve({ rows: [], total: 0, totalCapped: false });
    return this.dialect === 'postgres' ? this.searchPostgres(rooms, search, page) : this.searchSqlite(rooms, search, page);
  }

  /** `found` matches were fetched with a limit of window + 1: one more than the window means "capped". */
  private counted(found: number): { total: number; totalCapped: boolean } {
    return found > this.rankWindow ? { total: this.rankWindow, totalCapped: true } : { total: found, totalCapped: false };
  }

  private async searchSqlite(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    const fetchLimit = this.rankWindow + 1;
    const scored = search.words.length > 1 && !search.isPhrase;
    // Several words: FTS5's bm25 weighs them by rarity. Weights: the room column 0 (a filter), content 1.
    const score = scored ? sql`bm25(messages_fts, 0.0, 1.0)` : sql`0`;
    // The newest window + 1 matches (FTS5 walks the doclists backwards, rowid desc, and stops there).
    // One room, or words frequent enough: the room tokens inside the MATCH, so FTS5 intersects the rooms'
    // doclists with the words'. Rare words across rooms: the words alone, rooms checked per hit.
    const newest = (await this.sqliteRareAcrossRooms(roomIds, search))
      ? sql`select messages_fts.rowid as num, ${score} as score
            from messages_fts cross join messages m on m.num = messages_fts.rowid
            where messages_fts match ${fts5Match(null, search)} and m.room_id in (select value from json_each(${JSON.stringify(roomIds)}))
            order by messages_fts.rowid desc limit ${fetchLimit}`
      : sql`select rowid as num, ${score} as score from messages_fts where messages_fts match ${fts5Match(roomIds, search)}
            order by rowid desc limit ${fetchLimit}`;
    if (scored) {
      const { rows } = await sql<MessageRow & { found: number }>`
        with f as materialized (${newest}),
             w as (select num, score from f order by num desc limit ${this.rankWindow})
        select m.num, m.id, m.room_id, m.user_id, m.client_id, m.seq, m.content, m.track_id, m.track_time_s,
               m.created_at, m.edited_at, m.deleted_at, (select count(*) from f) as found
        from w join messages m on m.num = w.num
        where m.deleted_at is null
        order by w.score, m.num desc
        limit ${page.limit} offset ${page.offset}`.execute(this.db);
      const found = rows[0]?.found ?? (await sql<{ found: number }>`select count(*) as found from (${newest})`.execute(this.db)).rows[0]!.found;
      return { rows: rows.map(({ found: _, ...row }) => row), ...this.counted(Number(found)) };
    }
    // One word or one phrase: the newest matches, fetched and ranked here (see singleTermScore).
    const { rows: hits } = await sql<{ num: number }>`${newest}`.execute(this.db);
    const counted = this.counted(hits.length);
    if (hits.length === 0) return { rows: [], ...counted };
    const window = JSON.stringify(hits.slice(0, this.rankWindow).map((hit) => hit.num));
    // Rank on (num, content) only, then load the page's full rows: a window of small rows instead of
    // whole ones. One JSON parameter instead of a bound value per hit: one cached statement, short SQL.
    const candidates = await sql<{ num: number; content: string }>`
      select num, content from messages where num in (select value from json_each(${window})) and deleted_at is null`.execute(this.db);
    const tokens = candidates.rows.map((row) => foldedWords(row.content));
    const avgLength = tokens.reduce((sum, t) => sum + t.length, 0) / Math.max(1, tokens.length);
    const pageNums = candidates.rows
      .map((row, i) => ({ num: Number(row.num), score: singleTermScore(tokens[i]!, search, avgLength) }))
      .sort((a, b) => b.score - a.score || b.num - a.num)
      .slice(page.offset, page.offset + page.limit)
      .map((r) => r.num);
    if (pageNums.length === 0) return { rows: [], ...counted };
    const rows = await this.db.selectFrom('messages').select(MESSAGE_COLUMNS).where('num', 'in', pageNums).where('deleted_at', 'is', null).execute();
    const byNum = new Map(rows.map((row) => [Number(row.num), row]));
    return { rows: pageNums.map((num) => byNum.get(num)).filter((row) => row !== undefined), ...counted };
  }

  /**
   * Across rooms, are the words rare server-wide? Counting stops at `SQLITE_RARE_MATCHES`, so asking costs
   * at most that many index entries — little next to OR-ing every room's doclist (each room token is in
   * all of that room's messages) when the words match only a few hundred messages.
   */
  private async sqliteRareAcrossRooms(roomIds: string[], search: ParsedSearch): Promise<boolean> {
    if (this.path !== undefined) return this.path === 'other';
    if (roomIds.length === 1) return false;
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from (select 1 from messages_fts where messages_fts match ${fts5Match(null, search)} limit ${SQLITE_RARE_MATCHES})`.execute(this.db);
    return Number(rows[0]!.n) < SQLITE_RARE_MATCHES;
  }

  private async searchPostgres(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    const text = search.words.join(' ');
    const query = search.isPhrase ? sql`phraseto_tsquery('simple', ${text})` : sql`plainto_tsquery('simple', ${text})`;
    const walk = await this.postgresWalk(roomIds, search);
    if (walk) {
      const walked = await this.rankPostgres(this.walkedMatches(roomIds, query, walk.reach), query, page);
      // More matches than the window: the walk's are the newest. Fewer: its reach may have cut older ones off.
      if (walked.totalCapped || walk.reach === null) return walked;
    }
    return this.rankPostgres(this.indexedMatches(roomIds, text, query), query, page);
  }

  /**
   * The walk: the rooms' rows newest first, each checked, until window + 1 match, reading at most the
   * rooms' newest `reach` rows: rooms where the words are rarer than server-wide must not be read to
   * their first message. A null reach (LIMIT NULL) reads on.
   */
  private walkedMatches(roomIds: string[], query: RawBuilder<unknown>, reach: number | null) {
    const fetchLimit = this.rankWindow + 1;
    if (roomIds.length === 1) {
      // Its (room_id, seq) index: seqs are taken under the room's row lock, so seq orders like num there.
      return sql`select x.num, x.tsv from (
          select m.num, m.seq, m.tsv from messages m where m.room_id = ${roomIds[0]} and m.deleted_at is null
          order by m.seq desc limit ${reach}) x, ${query} q
        where x.tsv @@ q order by x.seq desc limit ${fetchLimit}`;
    }
    if (roomIds.length <= MERGED_WALK_MAX_ROOMS) {
      // A few rooms: each room's (room_id, num) index newest first, merged (Merge Append), so only the
      // rooms' own rows are read, and the reach counts the merged rows: a cap per room would let a quiet
      // room's old matches fill the window while a busy room's newer ones lay past its cap. Values go in
      // as `(select $n)`, which the planner cannot estimate from: its plan is the same whatever they
      // hold, so after five searches a connection keeps the generic plan instead of planning a branch
      // per room on every search (2 ms for 20 rooms, four times the search). The window is the server's,
      // written as a literal for the same reason.
      const branches = roomIds.map(
        (room) => sql`(select m.num, m.tsv from messages m where m.room_id = (select ${room}::text) and m.deleted_at is null
          order by m.num desc limit (select ${reach}::bigint))`,
      );
      return sql`select x.num, x.tsv from (
          select num, tsv from (${sql.join(branches, sql` union all `)}) rooms order by num desc limit (select ${reach}::bigint)) x
        where x.tsv @@ (select ${query}) order by x.num desc limit ${sql.lit(fetchLimit)}`;
    }
    // Many rooms: the primary key, where most rows walked are other rooms'. The CASE makes PostgreSQL
    // check the room before the words: left to itself it orders a row's conditions by estimated cost and
    // matched every walked row's tsvector first (20% of the walk's time).
    return sql`select x.num, x.tsv from (
        select m.num, m.room_id, m.tsv from messages m where m.deleted_at is null order by m.num desc limit ${reach}) x, ${query} q
      where case when x.room_id = any(${roomIds}) then x.tsv @@ q else false end
      order by x.num desc limit ${fetchLimit}`;
  }

  /**
   * The index, one room at a time: its keys are `<room>:<word>`, so each room's scan reads only that
   * room's posting lists (one scan for all rooms evaluates every room's keys on every candidate, and
   * planning a branch per room costs more than the scans). `offset 0` keeps the per-room loop. The exact
   * room check (the keys hold a prefix of the room id) is written `room_id || ''` so that no index serves
   * it: the planner would AND a room btree's bitmap in, reading all of a room's entries to narrow a
   * handful of rows, because it counts the room twice (keys and room_id). Each room's keys are built
   * here from helpers PostgreSQL inlines: veza_room_query (migration 0007, kept for instances of the
   * previous version during a rolling upgrade) runs a subquery per call, 0.3 ms for 20 rooms.
   */
  private indexedMatches(roomIds: string[], text: string, query: RawBuilder<unknown>) {
    return sql`select m.num, m.tsv from unnest(${roomIds}::text[]) as r(room)
      cross join lateral (
        select (select string_agg(veza_tsquery_operand(veza_room_key(r.room, w.lexeme)), ' & ')
                from unnest(to_tsvector('simple', ${text})) w)::tsquery as keys) k
      cross join lateral (
        select m.num, m.tsv from messages m, ${query} q
        where veza_room_terms(m.room_id, m.tsv) @@ k.keys
          and (m.room_id || '') = r.room and m.deleted_at is null and m.tsv @@ q
        offset 0) m
      order by m.num desc limit ${this.rankWindow + 1}`;
  }

  /**
   * Ranks the rooms' newest live matches (at most window + 1, as `(num, tsv)` rows: what ranking needs,
   * so sorting and ranking handle small rows) and fetches the page's full rows at the end.
   */
  private async rankPostgres(newestMatches: RawBuilder<unknown>, query: RawBuilder<unknown>, page: { limit: number; offset: number }): Promise<SearchPage> {
    // ts_rank normalization 1 divides by the document length, like bm25, so a short exact match ranks first.
    // `found` counts at most window + 1 matches: above the window the total is capped, not counted.
    const { rows } = await sql<MessageRow & { found: number }>`
      with hits as materialized (${newestMatches}),
      page as (
        select h.num, ts_rank(h.tsv, q, 1) as score
        from (select * from hits order by num desc limit ${this.rankWindow}) h, ${query} q
        order by score desc, num desc
        limit ${page.limit} offset ${page.offset})
      select m.num, m.id, m.room_id, m.user_id, m.client_id, m.seq, m.content, m.track_id, m.track_time_s,
             m.created_at, m.edited_at, m.deleted_at, (select count(*) from hits) as found
      from page p join messages m on m.num = p.num
      order by p.score desc, p.num desc`.execute(this.db);
    if (rows.length > 0) return { rows: rows.map(({ found: _, ...row }) => row), ...this.counted(Number(rows[0]!.found)) };
    // Past the last page (or nothing matches): count, still bounded by the window.
    const count = await sql<{ found: number }>`select count(*) as found from (${newestMatches}) c`.execute(this.db);
    return { rows: [], ...this.counted(Number(count.rows[0]?.found ?? 0)) };
  }

  /**
   * Walk newest first (see `walkIsCheaper`), or go through the index (undefined)? A walk reads at most
   * WALK_REACH times the rows it expects to need; a forced walk (tests) has no limit.
   */
  private async postgresWalk(roomIds: string[], search: ParsedSearch): Promise<{ reach: number | null } | undefined> {
    if (this.path !== undefined) return this.path === 'other' ? { reach: null } : undefined;
    const stats = await this.postgresTermStatistics();
    const share = matchShare(stats, search);
    if (share === undefined) return undefined;
    const choice = { share, totalRows: stats.rows, rooms: roomIds.length, window: this.rankWindow };
    // The walk gains with the rooms' size: if it loses even with every message in the rooms, it loses.
    if (!walkIsCheaper({ ...choice, roomRows: stats.rows })) return undefined;
    const roomRows = await this.postgresRoomRows(roomIds);
    if (!walkIsCheaper({ ...choice, roomRows })) return undefined;
    return { reach: Math.ceil(WALK_REACH * walkedRows({ ...choice, roomRows })) };
  }

  /** Rooms' message counts (their last seq), remembered for a minute: they only guide the choice above. */
  private readonly roomRows = new Map<string, { rows: number; expires: number }>();

  private async postgresRoomRows(roomIds: string[]): Promise<number> {
    const now = Date.now();
    const missing = roomIds.filter((id) => !((this.roomRows.get(id)?.expires ?? 0) > now));
    if (missing.length > 0) {
      const rows = await this.db.selectFrom('rooms').select(['id', 'last_seq']).where('id', 'in', missing).execute();
      // Expired entries go (deleted rooms, rooms nobody searches any more): the map holds the last minute's.
      for (const [id, entry] of this.roomRows) if (entry.expires <= now) this.roomRows.delete(id);
      for (const row of rows) this.roomRows.set(row.id, { rows: Number(row.last_seq), expires: now + 60_000 });
    }
    return roomIds.reduce((sum, id) => sum + (this.roomRows.get(id)?.rows ?? 0), 0);
  }

  /**
   * PostgreSQL's planner statistics of the words (for `matchShare`), read at most every 5 minutes: they
   * change only when (auto)analyze runs. Empty before the first analyze: searches then use the index.
   */
  private async postgresTermStatistics(): Promise<TermStatistics> {
    if (this.termStatistics !== undefined && this.termStatistics.expires > Date.now()) return this.termStatistics;
    const { rows } = await sql<{ rows: number; elems: string[] | null; freqs: number[] | null }>`
      select c.reltuples::float8 as rows, s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs::float8[] as freqs
      from pg_class c
      left join pg_stats s on s.schemaname = current_schema() and s.tablename = 'messages' and s.attname = 'tsv'
      where c.oid = 'messages'::regclass`.execute(this.db);
    const { rows: total = 0, elems, freqs } = rows[0] ?? {};
    const frequencies = new Map<string, number>();
    // most_common_elem_freqs lists one share per lexeme, then the minimum and the maximum.
    elems?.forEach((lexeme, i) => frequencies.set(lexeme, freqs?.[i] ?? 0));
    const unlisted = (freqs?.[elems?.length ?? 0] ?? 0) / 2;
    this.termStatistics = { expires: Date.now() + 5 * 60_000, rows: Math.max(0, total), frequencies, unlisted };
    return this.termStatistics;
  }
}
