import type { MessageRow } from '../message-row.js';
import type { ParsedSearch } from './search-query.js';

export interface SearchPage {
  rows: MessageRow[];
  /** Exact number of matches, or the cap when `totalCapped`. */
  total: number;
  /** More than `total` messages match: counting stopped at the cap (the rank window). */
  totalCapped: boolean;
}

/** Full-text search over the live messages of some rooms: ranked best first, then newest. */
export interface MessageSearch {
  search(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage>;
}

export interface MessageSearchOptions {
  /** How many of the newest matches a search ranks (tests make it small). */
  rankWindow?: number;
  /**
   * Force one way to the matches (tests check that both give the same answer). `rooms-in-index`: the
   * rooms are in the full-text index (FTS5 room tokens, PostgreSQL `<room>:<word>` keys). `other`:
   * SQLite finds the words alone and checks the rooms per hit; PostgreSQL walks the rooms' messages
   * newest first. By default each search picks the cheaper one.
   */
  path?: 'rooms-in-index' | 'other';
  /** The clock of the statistics caches (PostgreSQL). */
  now?: () => number;
}

/** The options with their defaults applied, as each dialect's search receives them. */
export interface SearchSettings {
  rankWindow: number;
  path: MessageSearchOptions['path'];
  now: () => number;
}
