import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/dialects.js';
import { DEFAULT_ROOM_ID } from '../../../src/shared/chat.js';
import type { Database } from '../../infra/db/database.js';
import { ChatRepository, type NewMessage } from './chat.repository.js';
import { parseSearch } from './search/search-query.js';

async function seedUser(database: Database, username: string): Promise<string> {
  const id = randomUUID();
  await database.db
    .insertInto('users')
    .values({ id, username, display_name: username, password_hash: null, role: 'member', created_at: new Date().toISOString() })
    .execute();
  return id;
}

/**
 * PostgreSQL: creates the rooms and inserts each step's `count` messages (`<content> <n>`), oldest step
 * first, then runs ANALYZE: the search chooses its path from the statistics.
 */
async function seedBulk(database: Database, userId: string, steps: Array<{ room: string; count: number; content: string }>): Promise<void> {
  const writer = new ChatRepository(database.db, 'postgres');
  const seqs = new Map<string, number>();
  for (const { room, count, content } of steps) {
    if (!seqs.has(room)) await writer.createRoom({ id: room, name: room, created_by: userId, created_at: new Date().toISOString() });
    const from = seqs.get(room) ?? 0;
    await sql`insert into messages (id, room_id, user_id, client_id, seq, content, created_at)
      select gen_random_uuid()::text, ${room}, ${userId}, gen_random_uuid()::text, ${from} + i, ${content} || ' ' || i, now()
      from generate_series(1, ${count}::int) i`.execute(database.db);
    seqs.set(room, from + count);
  }
  await sql`update rooms set last_seq = m.last from (select room_id, max(seq) as last from messages group by room_id) m where m.room_id = rooms.id`.execute(database.db);
  await sql`analyze messages`.execute(database.db);
}

const message = (roomId: string, userId: string, content: string, clientId: string = randomUUID()): NewMessage => ({
  id: randomUUID(),
  room_id: roomId,
  user_id: userId,
  client_id: clientId,
  content,
  track_id: null,
  track_time_s: null,
  created_at: new Date().toISOString(),
});

describeEachDialect('chat repository', (ctx) => {
  it('has the default General room from the migration', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    expect(await repo.findRoom(DEFAULT_ROOM_ID)).toMatchObject({ name: 'General' });
  });

  it('5 concurrent inserts with one client_id store one message and all return it', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'alice');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'hello', 'retry-1'))),
    );
    expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
    expect(results.filter((r) => r.isNew)).toHaveLength(1);
    const stored = await ctx.database.db.selectFrom('messages').selectAll().where('client_id', '=', 'retry-1').execute();
    expect(stored).toHaveLength(1);
  });

  it('concurrent sends written together: one bad send fails alone, the others and a retry are stored once, in order', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'batch');
    const before = Number((await repo.findRoom(DEFAULT_ROOM_ID))!.last_seq);
    // Issued in one turn of the event loop: in SQLite they share one transaction (group commit).
    const sends = [
      repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'one', 'batch-1')),
      repo.insertMessage(message(randomUUID(), userId, 'no such room')),
      repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'two', 'batch-2')),
      repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'one again', 'batch-1')),
    ];
    const settled = await Promise.allSettled(sends);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const [one, , two, retry] = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    expect(one!.isNew && two!.isNew).toBe(true);
    expect({ id: retry!.row.id, isNew: retry!.isNew, content: retry!.row.content }).toEqual({ id: one!.row.id, isNew: false, content: 'one' });
    expect([Number(one!.row.seq), Number(two!.row.seq)]).toEqual([before + 1, before + 2]);
    const stored = await ctx.database.db.selectFrom('messages').select('content').where('user_id', '=', userId).orderBy('seq').execute();
    expect(stored.map((r) => r.content)).toEqual(['one', 'two']);
  });

  it('gives each room its own gapless seq, in commit order, under concurrent sends', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'bob');
    const other = randomUUID();
    await repo.createRoom({ id: other, name: 'other', created_by: userId, created_at: new Date().toISOString() });
    const inserted = await Promise.all(
      Array.from({ length: 20 }, (_, i) => repo.insertMessage(message(i % 2 ? other : DEFAULT_ROOM_ID, userId, `m${i}`))),
    );
    const seqs = (roomId: string) =>
      inserted
        .filter((r) => r.row.room_id === roomId)
        .map((r) => Number(r.row.seq))
        .sort((a, b) => a - b);
    expect(seqs(DEFAULT_ROOM_ID)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seqs(other)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Number((await repo.findRoom(other))?.last_seq)).toBe(10);
  });

  it('pages history newest first with a seq cursor that stays stable while messages arrive', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'carol');
    for (let i = 1; i <= 5; i++) await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, `m${i}`));
    const first = await repo.history(DEFAULT_ROOM_ID, { limit: 2 });
    expect(first.map((r) => r.content)).toEqual(['m5', 'm4']);
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'm6'));
    const second = await repo.history(DEFAULT_ROOM_ID, { before: Number(first[1]!.seq), limit: 2 });
    expect(second.map((r) => r.content)).toEqual(['m3', 'm2']);
    const deleted = await repo.findByClientId(userId, (await repo.history(DEFAULT_ROOM_ID, { limit: 1, before: 2 }))[0]!.client_id);
    await repo.softDelete(deleted!.id, new Date().toISOString());
    expect((await repo.history(DEFAULT_ROOM_ID, { before: 3, limit: 10 })).map((r) => r.content)).toEqual(['m2']);
    expect((await repo.history(DEFAULT_ROOM_ID, { after: 4, limit: 10 })).map((r) => r.content)).toEqual(['m5', 'm6']);
  });

  it('search ranks the exact, short match first, then newest; never returns deleted or other rooms', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'dave');
    const other = randomUUID();
    await repo.createRoom({ id: other, name: 'other', created_by: userId, created_at: new Date().toISOString() });
    const exact = await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'guitar'));
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'guitars and amplifiers are not the same word'));
    const long = await repo.insertMessage(
      message(DEFAULT_ROOM_ID, userId, 'my new guitar solo has far too many notes in it, but the crowd seemed to like it anyway'),
    );
    const gone = await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'guitar guitar guitar'));
    await repo.softDelete(gone.row.id, new Date().toISOString());
    await repo.insertMessage(message(other, userId, 'guitar'));

    const result = await repo.search([DEFAULT_ROOM_ID], parseSearch('Guitar'), { limit: 10, offset: 0 });
    expect(result.rows.map((r) => r.id)).toEqual([exact.row.id, long.row.id]);
    expect(result.total).toBe(2);

    // Edits re-index; the old words stop matching.
    await repo.updateContent(exact.row.id, 'bass', new Date().toISOString());
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch('guitar'), { limit: 10, offset: 0 })).total).toBe(1);
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch('bass'), { limit: 10, offset: 0 })).rows[0]?.id).toBe(exact.row.id);
    // Across rooms.
    expect((await repo.search([DEFAULT_ROOM_ID, other], parseSearch('guitar'), { limit: 10, offset: 0 })).total).toBe(2);
    // Many rooms (past the per-room OR in PostgreSQL): the same answer.
    const many = [...Array.from({ length: 60 }, () => randomUUID()), DEFAULT_ROOM_ID, other];
    expect((await repo.search(many, parseSearch('guitar'), { limit: 10, offset: 0 })).total).toBe(2);
    // Past the last page: no rows, total still right.
    expect(await repo.search([DEFAULT_ROOM_ID], parseSearch('guitar'), { limit: 10, offset: 5 })).toEqual({ rows: [], total: 1, totalCapped: false });
  });

  it('search: two words must both match; a quoted phrase must match in order', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'erin');
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'red guitar'));
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'guitar red'));
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'red amp'));
    const page = { limit: 10, offset: 0 };
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch('red guitar'), page)).total).toBe(2);
    const phrase = await repo.search([DEFAULT_ROOM_ID], parseSearch('"red guitar"'), page);
    expect(phrase.rows.map((r) => r.content)).toEqual(['red guitar']);
  });

  it('search survives hostile input: quotes, *, NEAR(, AND, a lone -, 2 KB of punctuation', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, 'frank');
    await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'and near the end we play AND again'));
    const page = { limit: 10, offset: 0 };
    const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'.repeat(70).slice(0, 2048);
    for (const q of ['"', '""', '*', 'NEAR(', 'NEAR(a b', 'AND', '-', 'a OR', 'play*', '"unterminated', 'room_key:x', '^play', punctuation]) {
      await expect(repo.search([DEFAULT_ROOM_ID], parseSearch(q), page), q).resolves.toBeDefined();
    }
    // Operators are plain words: "AND" finds the message that says "and".
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch('AND'), page)).total).toBe(1);
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch('NEAR('), page)).total).toBe(1);
    expect((await repo.search([DEFAULT_ROOM_ID], parseSearch(punctuation), page)).total).toBe(0);
  });

  it('ranks only the newest matches of a very common word, and caps the total there', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow: 3 });
    const userId = await seedUser(ctx.database, 'gina');
    for (const content of ['drum', 'drum', 'drum and bass', 'drum solo tonight', 'drum']) {
      await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, content));
    }
    for (const q of ['drum', 'drum drum', 'drum drum drum']) {
      const result = await repo.search([DEFAULT_ROOM_ID], parseSearch(q), { limit: 10, offset: 0 });
      // 5 matches, more than the window of 3: the total says "at least 3", not 5.
      expect(result.total, q).toBe(3);
      expect(result.totalCapped, q).toBe(true);
      // The 3 newest matches, the short exact one first, then equal scores newest first.
      expect(result.rows.map((r) => r.content), q).toEqual(['drum', 'drum solo tonight', 'drum and bass']);
      // Past the last page: still capped, no rows.
      expect(await repo.search([DEFAULT_ROOM_ID], parseSearch(q), { limit: 10, offset: 3 }), q).toEqual({ rows: [], total: 3, totalCapped: true });
    }
    // Exactly as many matches as the window: exact, not capped.
    for (const q of ['bass', 'drum bass', '"drum and"']) {
      const exact = await repo.search([DEFAULT_ROOM_ID], parseSearch(q), { limit: 10, offset: 0 });
      expect({ total: exact.total, capped: exact.totalCapped }, q).toEqual({ total: 1, capped: false });
    }
    await repo.softDelete((await repo.search([DEFAULT_ROOM_ID], parseSearch('drum'), { limit: 1, offset: 0 })).rows[0]!.id, new Date().toISOString());
    await repo.softDelete((await repo.search([DEFAULT_ROOM_ID], parseSearch('drum'), { limit: 1, offset: 0 })).rows[0]!.id, new Date().toISOString());
    // 3 live matches left = the window: exact again, deleted ones not counted.
    const after = await repo.search([DEFAULT_ROOM_ID], parseSearch('drum'), { limit: 10, offset: 0 });
    expect({ total: after.total, capped: after.totalCapped }).toEqual({ total: 3, capped: false });
    expect(after.rows).toHaveLength(3);
  });
});

describeEachDialect('chat repository: search across rooms', (ctx) => {
  /**
   * Rooms A and B are searched, C is not. Inserted oldest first; the newest matches are at the end.
   * Each query runs both ways a search across rooms can go — the rooms inside the full-text index, and
   * the other way (SQLite: the words alone, rooms checked per hit; PostgreSQL: the rooms' messages
   * walked newest first) — whose answers must not differ, and the way the default picks, which must
   * agree too.
   */
  async function seedRooms() {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, `u${randomUUID().slice(0, 8)}`);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const [id, name] of [[a, 'A'], [b, 'B'], [c, 'C']] as const) {
      await repo.createRoom({ id, name: `${name}-${id}`, created_by: userId, created_at: new Date().toISOString() });
    }
    const ids: Record<string, string> = {};
    for (const [key, room, content] of [
      ['a-drum', a, 'drum'],
      ['b-drum-solo', b, 'drum solo'],
      ['a-guitar-red', a, 'guitar red'],
      ['a-drum-bass', a, 'drum and bass'],
      ['c-drum', c, 'drum'],
      ['c-red-guitar', c, 'red guitar'],
      ['b-red-guitar-solo', b, 'a red guitar solo'],
      ['b-drum', b, 'drum'],
    ] as const) {
      ids[(await repo.insertMessage(message(room, userId, content))).row.id] = key;
    }
    // PostgreSQL decides from its planner statistics: give it some.
    if (ctx.dialect === 'postgres') await sql`analyze messages`.execute(ctx.database.db);
    const both = (rankWindow?: number) => [
      new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow, path: 'rooms-in-index' }),
      new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow, path: 'other' }),
      new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow }),
    ];
    const search = async (repos: ChatRepository[], q: string, page = { limit: 10, offset: 0 }) => {
      const [inIndex, other, chosen] = await Promise.all(repos.map((r) => r.search([a, b], parseSearch(q), page)));
      const answer = (p: typeof inIndex) => ({ keys: p!.rows.map((row) => ids[row.id]), total: p!.total, capped: p!.totalCapped });
      expect(answer(other), `${q}: the other way = rooms in the index`).toEqual(answer(inIndex));
      expect(answer(chosen), `${q}: the default choice = rooms in the index`).toEqual(answer(inIndex));
      return answer(inIndex);
    };
    const idOf = (key: string) => Object.entries(ids).find(([, k]) => k === key)![0];
    return { repo, both, search, idOf };
  }

  it('ranks the matches of all rooms together: best first, then newest, whichever room they are in', async () => {
    const { both, search } = await seedRooms();
    // Short exact matches first (newest first among equals), then longer messages; room C never.
    expect(await search(both(), 'drum')).toEqual({ keys: ['b-drum', 'a-drum', 'b-drum-solo', 'a-drum-bass'], total: 4, capped: false });
    expect(await search(both(), 'solo drum')).toEqual({ keys: ['b-drum-solo'], total: 1, capped: false });
    expect(await search(both(), 'red guitar')).toEqual({ keys: ['a-guitar-red', 'b-red-guitar-solo'], total: 2, capped: false });
    expect((await search(both(), 'drum', { limit: 2, offset: 2 })).keys).toEqual(['b-drum-solo', 'a-drum-bass']);
    // Query syntax stays plain words on both ways: `and` is a word here, and no message has `near`.
    expect(await search(both(), '"drum" AND')).toEqual({ keys: ['a-drum-bass'], total: 1, capped: false });
    expect(await search(both(), 'NEAR( drum* -')).toEqual({ keys: [], total: 0, capped: false });
  });

  it('a phrase across rooms matches in order only, in the searched rooms only', async () => {
    const { both, search } = await seedRooms();
    expect(await search(both(), '"red guitar"')).toEqual({ keys: ['b-red-guitar-solo'], total: 1, capped: false });
    expect(await search(both(), '"guitar red"')).toEqual({ keys: ['a-guitar-red'], total: 1, capped: false });
    expect(await search(both(), '"drum bass"')).toEqual({ keys: [], total: 0, capped: false });
  });

  it('a phrase across rooms ignores punctuation and case, not a word in between', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, `u${randomUUID().slice(0, 8)}`);
    const rooms = [randomUUID(), randomUUID()];
    for (const id of rooms) await repo.createRoom({ id, name: `P-${id}`, created_by: userId, created_at: new Date().toISOString() });
    const contents = ['Red, GUITAR!', 'guitar red red guitar', 'red big guitar', 'a red guitar solo', 'solo guitar red', 'red-guitar solo'];
    const byId = new Map<string, string>();
    for (const [i, content] of contents.entries()) byId.set((await repo.insertMessage(message(rooms[i % 2]!, userId, content))).row.id, content);
    const found = async (q: string) => (await repo.search(rooms, parseSearch(q), { limit: 20, offset: 0 })).rows.map((row) => byId.get(row.id)).sort();
    expect(await found('"red guitar"')).toEqual(['Red, GUITAR!', 'a red guitar solo', 'guitar red red guitar', 'red-guitar solo']);
    expect(await found('"red guitar solo"')).toEqual(['a red guitar solo', 'red-guitar solo']);
    expect(await found('"solo red"')).toEqual([]);
  });

  it('rooms whose ids share a prefix never see each other’s messages; quotes and backslashes stay plain text', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, `u${randomUUID().slice(0, 8)}`);
    // PostgreSQL's index keys carry the first 8 characters of the room id: these two rooms share them.
    const prefix = randomUUID().slice(0, 9);
    const [mine, theirs, other] = [`${prefix}${randomUUID().slice(9)}`, `${prefix}${randomUUID().slice(9)}`, randomUUID()];
    for (const id of [mine, theirs, other]) await repo.createRoom({ id, name: `X-${id}`, created_by: userId, created_at: new Date().toISOString() });
    const contents: Array<[string, string]> = [
      [mine, "it's my riff"],
      [theirs, "it's their riff"],
      [mine, 'back\\slash riff'],
      [other, 'riff'],
    ];
    const byId = new Map<string, string>();
    for (const [room, content] of contents) byId.set((await repo.insertMessage(message(room, userId, content))).row.id, content);
    for (const path of ['rooms-in-index', 'other', undefined] as const) {
      const tuned = new ChatRepository(ctx.database.db, ctx.dialect, { path });
      const found = async (rooms: string[], q: string) =>
        (await tuned.search(rooms, parseSearch(q), { limit: 20, offset: 0 })).rows.map((row) => byId.get(row.id)).sort();
      expect(await found([mine], 'riff'), path).toEqual(['back\\slash riff', "it's my riff"]);
      expect(await found([mine, other], 'riff'), path).toEqual(['back\\slash riff', "it's my riff", 'riff']);
      expect(await found([mine], "it's"), path).toEqual(["it's my riff"]);
      expect(await found([mine, other], '"back\\slash"'), path).toEqual(['back\\slash riff']);
      expect(await found([mine, other], "' \\ '' \\\\"), path).toEqual([]);
      // Past a few rooms PostgreSQL's walk goes along the primary key instead of merging the rooms.
      const many = [mine, other, ...Array.from({ length: 38 }, () => randomUUID())];
      expect(await found(many, 'riff'), path).toEqual(['back\\slash riff', "it's my riff", 'riff']);
    }
  });

  it('stores and finds a message holding a word as long as the full-text index allows', async () => {
    const repo = new ChatRepository(ctx.database.db, ctx.dialect);
    const userId = await seedUser(ctx.database, `u${randomUUID().slice(0, 8)}`);
    const room = randomUUID();
    await repo.createRoom({ id: room, name: `L-${room}`, created_by: userId, created_at: new Date().toISOString() });
    // PostgreSQL indexes words up to 2046 bytes; its room keys add 9 more.
    const { row } = await repo.insertMessage(message(room, userId, `${'x'.repeat(2046)} riff`));
    if (ctx.dialect === 'postgres') {
      // Every key is whole: `<room prefix>:<word>`, none cut short.
      const { rows: keys } = await sql<{ key: string }>`
        select lexeme as key from messages, unnest(veza_room_terms(room_id, tsv)) where id = ${row.id}`.execute(ctx.database.db);
      expect(keys.map((k) => k.key)).toEqual([`${room.slice(0, 8)}:riff`]);
    }
    for (const path of ['rooms-in-index', 'other'] as const) {
      const found = await new ChatRepository(ctx.database.db, ctx.dialect, { path }).search([room, DEFAULT_ROOM_ID], parseSearch('riff'), { limit: 5, offset: 0 });
      expect(found.rows.map((r) => r.id), path).toEqual([row.id]);
    }
  });

  it('the window across rooms is the newest matches of all rooms together; the total is capped past it', async () => {
    const { repo, both, search, idOf } = await seedRooms();
    // 4 matches, window 3: the newest 3 of A and B together (a-drum is the oldest), ranked.
    expect(await search(both(3), 'drum')).toEqual({ keys: ['b-drum', 'b-drum-solo', 'a-drum-bass'], total: 3, capped: true });
    expect(await search(both(3), 'drum', { limit: 10, offset: 3 })).toEqual({ keys: [], total: 3, capped: true });
    // Exactly the window: exact total.
    expect(await search(both(4), 'drum')).toEqual({ keys: ['b-drum', 'a-drum', 'b-drum-solo', 'a-drum-bass'], total: 4, capped: false });
    // A deleted message leaves the window: the oldest match moves back in, and 3 is exact again.
    await repo.softDelete(idOf('b-drum'), new Date().toISOString());
    expect(await search(both(3), 'drum')).toEqual({ keys: ['a-drum', 'b-drum-solo', 'a-drum-bass'], total: 3, capped: false });
  });
});

describeEachDialect(
  'chat search index (PostgreSQL room keys)',
  (ctx) => {
    it('quotes keys for the tsquery syntax, whatever the room id and word hold', async () => {
      const repo = new ChatRepository(ctx.database.db, ctx.dialect, { path: 'rooms-in-index' });
      const userId = await seedUser(ctx.database, 'quoter');
      for (const room of [`a'b\\c"d${randomUUID()}`, randomUUID()]) {
        await repo.createRoom({ id: room, name: room, created_by: userId, created_at: new Date().toISOString() });
        await repo.insertMessage(message(room, userId, "a red one, it's"));
        await repo.insertMessage(message(room, userId, "a blue one, it's"));
        const found = await repo.search([room], parseSearch("Red it's"), { limit: 10, offset: 0 });
        expect(found.rows.map((row) => row.content)).toEqual(["a red one, it's"]);
        const phrase = await repo.search([room], parseSearch('"blue one"'), { limit: 10, offset: 0 });
        expect(phrase.rows.map((row) => row.content)).toEqual(["a blue one, it's"]);
      }
    });

    it('a walk stops where the words turned out rarer than server-wide, and the index finds the older matches', async () => {
      const userId = await seedUser(ctx.database, 'reacher');
      const [busy, quiet, calm] = [randomUUID(), randomUUID(), randomUUID()];
      // 'riff' is in two thirds of all messages, but in the quiet rooms only in their 3 oldest of 103 each.
      await seedBulk(ctx.database, userId, [
        ...[quiet, calm].flatMap((room) => [
          { room, count: 3, content: 'old riff' },
          { room, count: 100, content: 'something else' },
        ]),
        { room: busy, count: 400, content: 'riff busy' },
      ]);
      const found = await new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow: 5 }).search([quiet, calm], parseSearch('riff'), { limit: 10, offset: 0 });
      expect(found.rows.map((row) => row.content)).toHaveLength(5);
      for (const row of found.rows) expect(row.content).toMatch(/^old riff [123]$/);
      expect(found).toMatchObject({ total: 5, totalCapped: true });
    });

    it('a walk across rooms returns the newest matches of all rooms, even when a quiet room has many older ones', async () => {
      const userId = await seedUser(ctx.database, 'merger');
      const [quiet, busy, elsewhere] = [randomUUID(), randomUUID(), randomUUID()];
      // Oldest first: the quiet room's 10 matches, then the busy room's 10, then 60 busy messages without
      // the word; 'riff' is in most messages server-wide (the room nobody searches).
      await seedBulk(ctx.database, userId, [
        { room: quiet, count: 10, content: 'riff quiet' },
        { room: busy, count: 10, content: 'riff busy' },
        { room: busy, count: 60, content: 'something else' },
        { room: elsewhere, count: 400, content: 'riff elsewhere' },
      ]);
      const found = await new ChatRepository(ctx.database.db, ctx.dialect, { rankWindow: 5 }).search([quiet, busy], parseSearch('riff'), { limit: 10, offset: 0 });
      expect(found.rows.map((row) => row.content).sort()).toEqual(['riff busy 10', 'riff busy 6', 'riff busy 7', 'riff busy 8', 'riff busy 9']);
      expect(found).toMatchObject({ total: 5, totalCapped: true });
    });

    it('a walk across a few rooms keeps one plan per connection instead of planning a branch per room each time', async () => {
      const userId = await seedUser(ctx.database, 'walker');
      const rooms = Array.from({ length: 3 }, () => randomUUID());
      // Rooms and a word the statistics know well ('riff' in two thirds of 30,000 messages): a plan made
      // for these values would look far cheaper than the generic one, and be made on every search.
      await seedBulk(
        ctx.database,
        userId,
        rooms.flatMap((room) => [
          { room, count: 3333, content: 'something else' },
          { room, count: 6666, content: 'riff' },
        ]),
      );
      // One connection throughout: prepared statements and their plans belong to a connection.
      const statements = await ctx.database.db.connection().execute(async (connection) => {
        const repo = new ChatRepository(connection, ctx.dialect);
        // The search walks for this word; the rooms come in another order each time.
        for (let i = 0; i < 8; i++) {
          const found = await repo.search(i % 2 ? rooms : rooms.toReversed(), parseSearch('riff'), { limit: 5, offset: 0 });
          expect(found).toMatchObject({ total: 200, totalCapped: true });
        }
        return (await sql<{ generic: number }>`
          select generic_plans as generic from pg_prepared_statements where statement like '%union all%'`.execute(connection)).rows;
      });
      expect(statements).toHaveLength(1);
      expect(Number(statements[0]!.generic)).toBeGreaterThan(0);
    });

    it('reads the term statistics and the rooms\' sizes again only when the injected clock says they expired', async () => {
      const userId = await seedUser(ctx.database, 'clock');
      const rooms = [randomUUID(), randomUUID()];
      // A word in every message: the search consults both caches to choose the walk.
      await seedBulk(ctx.database, userId, rooms.map((room) => ({ room, count: 300, content: 'riff' })));
      const executor = ctx.database.db.getExecutor();
      const statements: string[] = [];
      const recorded = ctx.database.db.withPlugin({
        transformQuery: ({ node, queryId }) => (statements.push(executor.compileQuery(node, queryId).sql), node),
        transformResult: async ({ result }) => result,
      });
      let clock = 1_000_000;
      const repo = new ChatRepository(recorded, ctx.dialect, { now: () => clock });
      const readsAt = async (time: number) => {
        clock = time;
        statements.length = 0;
        expect(await repo.search(rooms, parseSearch('riff'), { limit: 5, offset: 0 })).toMatchObject({ total: 200, totalCapped: true });
        return { statistics: statements.some((text) => text.includes('pg_stats')), rooms: statements.some((text) => /from "rooms"/.test(text)) };
      };
      expect(await readsAt(1_000_000)).toEqual({ statistics: true, rooms: true });
      expect(await readsAt(1_059_999)).toEqual({ statistics: false, rooms: false });
      // Rooms' sizes are kept for a minute, the statistics for five.
      expect(await readsAt(1_060_000)).toEqual({ statistics: false, rooms: true });
      expect(await readsAt(1_119_999)).toEqual({ statistics: false, rooms: false });
      expect(await readsAt(1_299_999)).toEqual({ statistics: false, rooms: true });
      expect(await readsAt(1_300_000)).toEqual({ statistics: true, rooms: false });
    });

    it('lets ANALYZE (autovacuum, pg_restore) evaluate the index with an empty search_path', async () => {
      const repo = new ChatRepository(ctx.database.db, ctx.dialect);
      const userId = await seedUser(ctx.database, `u${randomUUID().slice(0, 8)}`);
      await repo.insertMessage(message(DEFAULT_ROOM_ID, userId, 'analyze me'));
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(ctx.database.db);
      await ctx.database.db.transaction().execute(async (trx) => {
        await sql`set local search_path = ''`.execute(trx);
        await sql`analyze ${sql.id(rows[0]!.schema, 'messages')}`.execute(trx);
      });
    });
  },
  ['postgres'],
);

describeEachDialect(
  'chat repository group commit',
  (ctx) => {
    const writeTransactionsDuring = async (work: () => Promise<unknown>) => {
      // Every write transaction takes a transaction id; txid_current() takes one itself.
      const xid = async () => Number((await sql<{ xid: string }>`select txid_current()::text as xid`.execute(ctx.database.db)).rows[0]!.xid);
      const before = await xid();
      await work();
      return (await xid()) - before - 1;
    };

    it('sends of one turn go to PostgreSQL in one transaction, each with its own seq and answer', async () => {
      const repo = new ChatRepository(ctx.database.db, ctx.dialect);
      const userId = await seedUser(ctx.database, 'grouped');
      const other = randomUUID();
      await repo.createRoom({ id: other, name: 'grouped', created_by: userId, created_at: new Date().toISOString() });
      let results: Array<{ row: { id: string; seq: number | string; room_id: string; content: string }; isNew: boolean }> = [];
      const transactions = await writeTransactionsDuring(async () => {
        results = await Promise.all(Array.from({ length: 20 }, (_, i) => repo.insertMessage(message(i % 2 ? other : DEFAULT_ROOM_ID, userId, `g${i}`))));
      });
      expect(transactions).toBeLessThanOrEqual(2); // one per batch; was one per send (20)
      expect(results.every((result) => result.isNew)).toBe(true);
      const inRoom = results.filter((result) => result.row.room_id === other);
      expect(inRoom.map((result) => Number(result.row.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // in send order
      expect(inRoom.map((result) => result.row.content)).toEqual(Array.from({ length: 10 }, (_, i) => `g${2 * i + 1}`));
    });
  },
  ['postgres'],
);
