/**
 * How a search finds its matches: the rank window, and the cost estimates that choose between the
 * dialects' two ways. Pure: the numbers come in, a choice comes out (docs/chat.md, "Full-text search").
 */
import type { ParsedSearch } from './search-query.js';

/**
 * Search ranks at most this many matches, the newest ones, and counts up to there: `total` is exact up
 * to it, then capped (CONTRACT: `total` only "where cheap"). Ranking every match was the whole cost of a
 * search for a very common word.
 */
export const SEARCH_RANK_WINDOW = 200;

/** `found` matches were fetched with a limit of window + 1: one more than the window means "capped". */
export function countedMatches(found: number, window: number): { total: number; totalCapped: boolean } {
  return found > window ? { total: window, totalCapped: true } : { total: found, totalCapped: false };
}

/**
 * SQLite, across several rooms: words with fewer matches than this server-wide are found alone, rooms
 * checked per hit; OR-ing every room token's doclist (each as long as its room) costs more.
 */
export const SQLITE_RARE_MATCHES = 2000;

/** SQLite: leave the rooms out of the MATCH (`matches` counted server-wide, up to SQLITE_RARE_MATCHES)? */
export function sqliteWordsAlone(rooms: number, matches: number): boolean {
  return rooms > 1 && matches < SQLITE_RARE_MATCHES;
}

/** PostgreSQL: a row read by the newest-first walk costs this much of a row the index path fetches (1). */
const WALK_ROW_COST = 0.25;

/**
 * PostgreSQL: up to this many rooms the walk merges the rooms' own indexes (a branch per room); beyond,
 * it walks the primary key, where the rooms' messages are then a large share anyway.
 */
export const MERGED_WALK_MAX_ROOMS = 32;

/**
 * PostgreSQL: a walk reads at most this multiple of the rows it expects to need, so rooms where the words
 * are rarer than server-wide are not read to their first message; the index answers instead.
 */
const WALK_REACH = 4;

/** PostgreSQL's statistics of the tsv column: the share of rows holding each common lexeme. */
export interface TermStatistics {
  rows: number;
  frequencies: Map<string, number>;
  /** Lexemes not in the list are rarer than the rarest listed one; the planner guesses half of it. */
  unlisted: number;
}

/**
 * The share of messages that match (undefined without statistics). Plain words multiply, as PostgreSQL's
 * planner assumes; a phrase's words come together far more often than chance, so it counts as its rarest.
 */
export function matchShare(stats: Pick<TermStatistics, 'frequencies' | 'unlisted'>, search: ParsedSearch): number | undefined {
  if (stats.frequencies.size === 0) return undefined;
  const shares = search.words.map((word) => stats.frequencies.get(word) ?? stats.unlisted);
  return search.isPhrase ? Math.min(...shares) : shares.reduce((product, share) => product * share, 1);
}

export interface WalkChoice {
  /** The matching share of all messages (`matchShare`). */
  share: number;
  /** Messages in the searched rooms. */
  roomRows: number;
  totalRows: number;
  rooms: number;
  window: number;
}

/**
 * Is walking the rooms' messages newest first (stopping at the window) cheaper than fetching every match
 * through the index (`share × roomRows`) and sorting them?
 */
export function walkIsCheaper(c: WalkChoice): boolean {
  if (!(c.share > 0) || c.roomRows <= 0) return false;
  return walkedRows(c) * WALK_ROW_COST < c.share * c.roomRows;
}

/**
 * The walk gains with the rooms' size: if it loses with every message in the rooms, it loses. Asked
 * first, so that a search the index answers anyway never counts the rooms' rows.
 */
export function walkCanWin(c: Omit<WalkChoice, 'roomRows'>): boolean {
  return walkIsCheaper({ ...c, roomRows: c.totalRows });
}

/** How many rows the walk may read, when it is the cheaper way; undefined: go through the index. */
export function walkReach(c: WalkChoice): number | undefined {
  return walkIsCheaper(c) ? Math.ceil(WALK_REACH * walkedRows(c)) : undefined;
}

/** The rows a walk expects to read for the window's matches: the rooms' own (merged), or along the primary key. */
function walkedRows(c: WalkChoice): number {
  const roomsShare = c.rooms <= MERGED_WALK_MAX_ROOMS ? 1 : Math.min(1, c.roomRows / Math.max(1, c.totalRows));
  return c.window / (c.share * roomsShare);
}
