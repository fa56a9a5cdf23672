import { describe, expect, it } from 'vitest';
import {
  countedMatches,
  MERGED_WALK_MAX_ROOMS,
  matchShare,
  SQLITE_RARE_MATCHES,
  sqliteWordsAlone,
  walkCanWin,
  walkIsCheaper,
  walkReach,
} from './search-planner.js';
import { parseSearch } from './search-query.js';

describe('PostgreSQL: walk newest first or go through the index', () => {
  const stats = { frequencies: new Map([['red', 0.02], ['guitar', 0.02], ['the', 0.65]]), unlisted: 0.0001 };

  it('multiplies the shares of plain words, as the planner does; a phrase counts as its rarest word', () => {
    expect(matchShare(stats, parseSearch('red guitar'))).toBeCloseTo(0.0004, 8);
    expect(matchShare(stats, parseSearch('the zyx'))).toBeCloseTo(0.000065, 8);
    // A phrase's words come together, not by chance.
    expect(matchShare(stats, parseSearch('"red guitar"'))).toBe(0.02);
    expect(matchShare(stats, parseSearch('"the zyx"'))).toBe(0.0001);
    // Nothing is known before the first ANALYZE.
    expect(matchShare({ frequencies: new Map(), unlisted: 0 }, parseSearch('red'))).toBeUndefined();
  });

  it('walks for a word in most messages, goes through the index for rarer words and phrases', () => {
    const bench = { totalRows: 1_000_000, window: 200 };
    // 20 of 200 rooms (100,000 messages): 310 rows walked through the rooms' own indexes beat 65,000 fetched.
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 100_000, rooms: 20 })).toBe(true);
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 5000, rooms: 1 })).toBe(true);
    // A phrase in 1% of messages: 1,000 fetched beat 20,000 walked.
    expect(walkIsCheaper({ ...bench, share: 0.01, roomRows: 100_000, rooms: 20 })).toBe(false);
    expect(walkIsCheaper({ ...bench, share: 0.01, roomRows: 5000, rooms: 1 })).toBe(false);
    // A common word in a few small rooms: their own indexes hold only their rows.
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 3000, rooms: 3 })).toBe(true);
    // In 40 small rooms (one branch per room is too many) the walk crosses the whole table for them.
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 3000, rooms: 40 })).toBe(false);
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 500_000, rooms: 40 })).toBe(true);
    // Empty rooms, or no statistics: the index.
    expect(walkIsCheaper({ ...bench, share: 0.65, roomRows: 0, rooms: 20 })).toBe(false);
    expect(walkIsCheaper({ ...bench, share: 0, roomRows: 100_000, rooms: 20 })).toBe(false);
  });
});

describe('search planner: the window and the thresholds', () => {
  const bench = { totalRows: 1_000_000, window: 200 };

  it('counts exactly up to the window and caps one past it', () => {
    expect(countedMatches(0, 200)).toEqual({ total: 0, totalCapped: false });
    expect(countedMatches(200, 200)).toEqual({ total: 200, totalCapped: false });
    expect(countedMatches(201, 200)).toEqual({ total: 200, totalCapped: true });
    expect(countedMatches(5, 3)).toEqual({ total: 3, totalCapped: true });
  });

  it('SQLite leaves the rooms out of the MATCH only across rooms, and only below the rare threshold', () => {
    expect(sqliteWordsAlone(1, 0)).toBe(false);
    expect(sqliteWordsAlone(2, 0)).toBe(true);
    expect(sqliteWordsAlone(20, SQLITE_RARE_MATCHES - 1)).toBe(true);
    // The probe stops counting at the threshold: reaching it means "frequent".
    expect(sqliteWordsAlone(20, SQLITE_RARE_MATCHES)).toBe(false);
  });

  it('a walked row costs a quarter of a fetched one', () => {
    // One room of 5,000: the walk reads 200 / share rows, the index 5,000 × share; a quarter makes them
    // equal at share 0.1 (at equal cost it would be about 0.2).
    expect(walkIsCheaper({ ...bench, share: 0.11, roomRows: 5000, rooms: 1 })).toBe(true);
    expect(walkIsCheaper({ ...bench, share: 0.09, roomRows: 5000, rooms: 1 })).toBe(false);
  });

  it(`merges the rooms' own indexes up to ${MERGED_WALK_MAX_ROOMS} rooms, walks the primary key past that`, () => {
    const smallRooms = { ...bench, share: 0.65, roomRows: 3000 };
    expect(walkIsCheaper({ ...smallRooms, rooms: MERGED_WALK_MAX_ROOMS })).toBe(true);
    expect(walkIsCheaper({ ...smallRooms, rooms: MERGED_WALK_MAX_ROOMS + 1 })).toBe(false);
  });

  it('a walk may read four times the rows it expects to need, and is not planned where the index is cheaper', () => {
    // 200 / 0.65 ≈ 307.7 rows expected through the rooms' own indexes.
    expect(walkReach({ ...bench, share: 0.65, roomRows: 100_000, rooms: 20 })).toBe(1231);
    // Along the primary key the rooms are half of the rows: 200 / (0.65 × 0.5) ≈ 615.4 expected.
    expect(walkReach({ ...bench, share: 0.65, roomRows: 500_000, rooms: 40 })).toBe(2462);
    expect(walkReach({ ...bench, share: 0.01, roomRows: 100_000, rooms: 20 })).toBeUndefined();
  });

  it('rules the walk out before the rooms are counted only where no size of the rooms would make it win', () => {
    // A phrase in 1%: it could win in rooms holding most of the table, so the rooms' size decides.
    expect(walkCanWin({ ...bench, share: 0.01, rooms: 1 })).toBe(true);
    expect(walkReach({ ...bench, share: 0.01, roomRows: 5000, rooms: 1 })).toBeUndefined();
    // A rare word never walks.
    expect(walkCanWin({ ...bench, share: 0.0001, rooms: 1 })).toBe(false);
    for (const share of [0.0001, 0.001, 0.01, 0.1, 0.65]) {
      for (const rooms of [1, 20, MERGED_WALK_MAX_ROOMS + 1, 200]) {
        if (walkCanWin({ ...bench, share, rooms })) continue;
        for (const roomRows of [1, 1000, 100_000, bench.totalRows]) expect(walkIsCheaper({ ...bench, share, rooms, roomRows }), `${share} ${rooms} ${roomRows}`).toBe(false);
      }
    }
  });
});
