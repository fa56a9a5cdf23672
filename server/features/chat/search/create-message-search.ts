import type { Kysely } from 'kysely';
import type { SqlDialect } from '../../../infra/db/dialect.js';
import type { DB } from '../../../infra/db/schema.js';
import type { MessageSearch, MessageSearchOptions } from './message-search.js';
import { PostgresSearch } from './postgres-search.js';
import { SEARCH_RANK_WINDOW } from './search-planner.js';
import { SqliteSearch } from './sqlite-search.js';

/**
 * The dialect's search, chosen once. Rooms are deduplicated and empty searches answered here, so each
 * dialect sees at least one room and one word.
 */
export function createMessageSearch(db: Kysely<DB>, dialect: SqlDialect, options: MessageSearchOptions = {}): MessageSearch {
  const settings = { rankWindow: options.rankWindow ?? SEARCH_RANK_WINDOW, path: options.path, now: options.now ?? Date.now };
  const dialectSearch = dialect === 'postgres' ? new PostgresSearch(db, settings) : new SqliteSearch(db, settings);
  return {
    search(roomIds, search, page) {
      const rooms = [...new Set(roomIds)];
      if (rooms.length === 0 || search.words.length === 0) return Promise.resolve({ rows: [], total: 0, totalCapped: false });
      return dialectSearch.search(rooms, search, page);
    },
  };
}
