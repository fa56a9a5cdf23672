import { type Kysely, sql } from 'kysely';
import type { DB } from '../../../infra/db/schema.js';
import { MESSAGE_COLUMNS, type MessageRow } from '../message-row.js';
import type { MessageSearch, SearchPage, SearchSettings } from './message-search.js';
import { countedMatches, SQLITE_RARE_MATCHES, sqliteWordsAlone } from './search-planner.js';
import { foldedWords, fts5Match, type ParsedSearch, singleTermScore } from './search-query.js';

/** FTS5 over `messages_fts(room_key, content)`: the newest matches, ranked by bm25 (docs/chat.md). */
export class SqliteSearch implements MessageSearch {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: SearchSettings,
  ) {}

  async search(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    const { rankWindow } = this.settings;
    const fetchLimit = rankWindow + 1;
    const scored = search.words.length > 1 && !search.isPhrase;
    // Several words: FTS5's bm25 weighs them by rarity. Weights: the room column 0 (a filter), content 1.
    const score = scored ? sql`bm25(messages_fts, 0.0, 1.0)` : sql`0`;
    // The newest window + 1 matches (FTS5 walks the doclists backwards, rowid desc, and stops there):
    // the room tokens inside the MATCH, or the words alone with the rooms checked per hit.
    const newest = (await this.wordsAlone(roomIds, search))
      ? sql`select messages_fts.rowid as num, ${score} as score
            from messages_fts cross join messages m on m.num = messages_fts.rowid
            where messages_fts match ${fts5Match(null, search)} and m.room_id in (select value from json_each(${JSON.stringify(roomIds)}))
            order by messages_fts.rowid desc limit ${fetchLimit}`
      : sql`select rowid as num, ${score} as score from messages_fts where messages_fts match ${fts5Match(roomIds, search)}
            order by rowid desc limit ${fetchLimit}`;
    if (scored) {
      const { rows } = await sql<MessageRow & { found: number }>`
        with f as materialized (${newest}),
             w as (select num, score from f order by num desc limit ${rankWindow})
        select m.num, m.id, m.room_id, m.user_id, m.client_id, m.seq, m.content, m.track_id, m.track_time_s,
               m.created_at, m.edited_at, m.deleted_at, (select count(*) from f) as found
        from w join messages m on m.num = w.num
        where m.deleted_at is null
        order by w.score, m.num desc
        limit ${page.limit} offset ${page.offset}`.execute(this.db);
      const found = rows[0]?.found ?? (await sql<{ found: number }>`select count(*) as found from (${newest})`.execute(this.db)).rows[0]!.found;
      return { rows: rows.map(({ found: _, ...row }) => row), ...countedMatches(Number(found), rankWindow) };
    }
    // One word or one phrase: the newest matches, fetched and ranked here (see singleTermScore).
    const { rows: hits } = await sql<{ num: number }>`${newest}`.execute(this.db);
    const counted = countedMatches(hits.length, rankWindow);
    if (hits.length === 0) return { rows: [], ...counted };
    const window = JSON.stringify(hits.slice(0, rankWindow).map((hit) => hit.num));
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

  /** Across rooms, count the words' matches server-wide: stopping at the threshold keeps the probe cheap. */
  private async wordsAlone(roomIds: string[], search: ParsedSearch): Promise<boolean> {
    if (this.settings.path !== undefined) return this.settings.path === 'other';
    if (roomIds.length === 1) return false;
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from (select 1 from messages_fts where messages_fts match ${fts5Match(null, search)} limit ${SQLITE_RARE_MATCHES})`.execute(this.db);
    return sqliteWordsAlone(roomIds.length, Number(rows[0]!.n));
  }
}
