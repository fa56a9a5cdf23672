import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../../infra/db/schema.js';
import type { MessageRow } from '../message-row.js';
import type { MessageSearch, SearchPage, SearchSettings } from './message-search.js';
import { countedMatches, MERGED_WALK_MAX_ROOMS, matchShare, type TermStatistics, walkCanWin, walkReach } from './search-planner.js';
import type { ParsedSearch } from './search-query.js';

/** They only guide the choice of path: rooms' sizes for a minute, term statistics until the next ANALYZE is likely. */
const ROOM_ROWS_TTL_MS = 60_000;
const TERM_STATISTICS_TTL_MS = 5 * 60_000;

/**
 * tsvector + GIN keyed `<room>:<word>`: the newest matches, ranked by ts_rank, found through the index
 * or by walking the rooms' messages newest first, whichever the planner says is cheaper (docs/chat.md).
 */
export class PostgresSearch implements MessageSearch {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: SearchSettings,
  ) {}

  /** Rooms' message counts (their last seq). */
  private readonly roomRows = new Map<string, { rows: number; expires: number }>();
  private termStatistics: { stats: TermStatistics; expires: number } | undefined;

  async search(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    const text = search.words.join(' ');
    const query = search.isPhrase ? sql`phraseto_tsquery('simple', ${text})` : sql`plainto_tsquery('simple', ${text})`;
    const walk = await this.walk(roomIds, search);
    if (walk) {
      const walked = await this.rank(this.walkedMatches(roomIds, query, walk.reach), query, page);
      // More matches than the window: the walk's are the newest. Fewer: its reach may have cut older ones off.
      if (walked.totalCapped || walk.reach === null) return walked;
    }
    return this.rank(this.indexedMatches(roomIds, text, query), query, page);
  }

  /** Walk newest first, reading at most `reach` rows (null: no limit, a forced walk), or use the index (undefined)? */
  private async walk(roomIds: string[], search: ParsedSearch): Promise<{ reach: number | null } | undefined> {
    const { path, rankWindow } = this.settings;
    if (path !== undefined) return path === 'other' ? { reach: null } : undefined;
    const stats = await this.statistics();
    const share = matchShare(stats, search);
    if (share === undefined) return undefined;
    const choice = { share, totalRows: stats.rows, rooms: roomIds.length, window: rankWindow };
    if (!walkCanWin(choice)) return undefined;
    const reach = walkReach({ ...choice, roomRows: await this.rowsInRooms(roomIds) });
    return reach === undefined ? undefined : { reach };
  }

  /**
   * The rooms' rows newest first, each checked, until window + 1 match, reading at most the rooms'
   * newest `reach` rows. A null reach (LIMIT NULL) reads on.
   */
  private walkedMatches(roomIds: string[], query: RawBuilder<unknown>, reach: number | null) {
    const fetchLimit = this.settings.rankWindow + 1;
    if (roomIds.length === 1) {
      // Its (room_id, seq) index: seqs are taken under the room's row lock, so seq orders like num there.
      return sql`select x.num, x.tsv from (
          select m.num, m.seq, m.tsv from messages m where m.room_id = ${roomIds[0]} and m.deleted_at is null
          order by m.seq desc limit ${reach}) x, ${query} q
        where x.tsv @@ q order by x.seq desc limit ${fetchLimit}`;
    }
    if (roomIds.length <= MERGED_WALK_MAX_ROOMS) {
      // Each room's (room_id, num) index merged (Merge Append); the reach counts merged rows, since a cap
      // per room would let a quiet room's old matches fill the window. Values go in as `(select $n)` and
      // the window as a literal, so the plan is the same whatever they hold and each connection keeps
      // the generic plan instead of planning a branch per room on every search.
      const branches = roomIds.map(
        (room) => sql`(select m.num, m.tsv from messages m where m.room_id = (select ${room}::text) and m.deleted_at is null
          order by m.num desc limit (select ${reach}::bigint))`,
      );
      return sql`select x.num, x.tsv from (
          select num, tsv from (${sql.join(branches, sql` union all `)}) rooms order by num desc limit (select ${reach}::bigint)) x
        where x.tsv @@ (select ${query}) order by x.num desc limit ${sql.lit(fetchLimit)}`;
    }
    // Many rooms: the primary key. The CASE makes PostgreSQL check the room before the words: left to
    // itself it orders a row's conditions by estimated cost and matched every walked row's tsvector.
    return sql`select x.num, x.tsv from (
        select m.num, m.room_id, m.tsv from messages m where m.deleted_at is null order by m.num desc limit ${reach}) x, ${query} q
      where case when x.room_id = any(${roomIds}) then x.tsv @@ q else false end
      order by x.num desc limit ${fetchLimit}`;
  }

  /**
   * The index, one room at a time (`offset 0` keeps the loop), so each scan reads only that room's
   * `<room>:<word>` posting lists. The exact room check is `room_id || ''` so that no room btree gets
   * ANDed in; the keys are built from helpers PostgreSQL inlines (veza_room_query, migration 0007, stays
   * for instances of the previous version during a rolling upgrade).
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
      order by m.num desc limit ${this.settings.rankWindow + 1}`;
  }

  /**
   * Ranks the rooms' newest live matches (at most window + 1 `(num, tsv)` rows: small rows to sort and
   * rank) and fetches the page's full rows at the end.
   */
  private async rank(newestMatches: RawBuilder<unknown>, query: RawBuilder<unknown>, page: { limit: number; offset: number }): Promise<SearchPage> {
    const { rankWindow } = this.settings;
    // ts_rank normalization 1 divides by the document length, like bm25, so a short exact match ranks first.
    const { rows } = await sql<MessageRow & { found: number }>`
      with hits as materialized (${newestMatches}),
      page as (
        select h.num, ts_rank(h.tsv, q, 1) as score
        from (select * from hits order by num desc limit ${rankWindow}) h, ${query} q
        order by score desc, num desc
        limit ${page.limit} offset ${page.offset})
      select m.num, m.id, m.room_id, m.user_id, m.client_id, m.seq, m.content, m.track_id, m.track_time_s,
             m.created_at, m.edited_at, m.deleted_at, (select count(*) from hits) as found
      from page p join messages m on m.num = p.num
      order by p.score desc, p.num desc`.execute(this.db);
    if (rows.length > 0) return { rows: rows.map(({ found: _, ...row }) => row), ...countedMatches(Number(rows[0]!.found), rankWindow) };
    // Past the last page (or nothing matches): count, still bounded by the window.
    const count = await sql<{ found: number }>`select count(*) as found from (${newestMatches}) c`.execute(this.db);
    return { rows: [], ...countedMatches(Number(count.rows[0]?.found ?? 0), rankWindow) };
  }

  private async rowsInRooms(roomIds: string[]): Promise<number> {
    const now = this.settings.now();
    const missing = roomIds.filter((id) => !((this.roomRows.get(id)?.expires ?? 0) > now));
    if (missing.length > 0) {
      const rows = await this.db.selectFrom('rooms').select(['id', 'last_seq']).where('id', 'in', missing).execute();
      // Expired entries go (deleted rooms, rooms nobody searches any more): the map holds the last minute's.
      for (const [id, entry] of this.roomRows) if (entry.expires <= now) this.roomRows.delete(id);
      for (const row of rows) this.roomRows.set(row.id, { rows: Number(row.last_seq), expires: now + ROOM_ROWS_TTL_MS });
    }
    return roomIds.reduce((sum, id) => sum + (this.roomRows.get(id)?.rows ?? 0), 0);
  }

  /** The planner's statistics of `tsv`; empty before the first ANALYZE, and searches then use the index. */
  private async statistics(): Promise<TermStatistics> {
    if (this.termStatistics !== undefined && this.termStatistics.expires > this.settings.now()) return this.termStatistics.stats;
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
    const stats = { rows: Math.max(0, total), frequencies, unlisted };
    this.termStatistics = { stats, expires: this.settings.now() + TERM_STATISTICS_TTL_MS };
    return stats;
  }
}
