/**
 * npm run bench:search [-- --messages N] [--cache DIR] [--only sqlite|postgres]
 *   (default 1,000,000 messages in 200 rooms)
 *
 * --cache DIR keeps the generated data (the SQLite file and the PostgreSQL data directory) in DIR and
 * reuses it on the next run with the same --messages: generating a million rows per dialect takes
 * minutes, a run on cached data only the queries. Pending migrations still apply on open.
 *
 * Full-text search through the real repository (FTS5 + bm25 in SQLite, tsvector + GIN + ts_rank in
 * PostgreSQL) against the scan it replaces (LIKE / ILIKE '%word%' with the same room filter: the page of
 * 50 newest plus an exact count, as the seed did), per query kind (common word, rare word, two words,
 * phrase), in one room and across a user's 20 rooms. A second scan has the repository's exact semantics
 * (the newest window + 1 matches, count capped there) and is shown beside it, so the table also says
 * how much of the gain is the index and how much the window. PostgreSQL is a server started for the run
 * (test/support/postgres.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { ChatRepository } from '../server/features/chat/chat.repository.js';
import { SEARCH_RANK_WINDOW } from '../server/features/chat/search/search-planner.js';
import { parseSearch } from '../server/features/chat/search/search-query.js';
import { type Database, openDatabase } from '../server/infra/db/database.js';
import { createTestDatabase, startPostgres } from '../test/support/postgres.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const MESSAGES = Number(option('--messages') ?? 1_000_000);
const CACHE = option('--cache');
const ONLY = option('--only');
const ROOMS = 200;
const USER_ROOMS = 20;
const USERS = 50;
/** Index queries per row (p95 is their 95th percentile), and the slow scans per row. */
const RUNS = 100;
const SCAN_RUNS = 10;
const WARMUP_RUNS = 50;
/**
 * Messages sent through the app's own insert just before the queries, and removed after: a live chat's
 * newest rows are neither vacuumed (PostgreSQL) nor merged into the big FTS segment (SQLite), and the
 * search is measured in that state, not on a freshly vacuumed or optimized index.
 */
const LIVE_MESSAGES = 2000;
if (!Number.isInteger(MESSAGES) || MESSAGES < 1000) throw new Error('--messages expects an integer ≥ 1000');
if (ONLY !== undefined && ONLY !== 'sqlite' && ONLY !== 'postgres') throw new Error('--only expects sqlite or postgres');

// Deterministic data: the same messages in both dialects, every run.
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let random = mulberry32(42);
/** Queries draw from their own sequence, so a run on cached data asks the same questions as a fresh one. */
let queryRandom = mulberry32(7);
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'ga', 'pe', 'di', 'mo', 'zu', 'ra', 'fe', 'no', 'bi', 'tu', 'ye', 'sa'];
const VOCABULARY = Array.from({ length: 20_000 }, (_, i) => {
  let word = '';
  let n = i;
  do {
    word += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0);
  return `${word}${SYLLABLES[(i * 7) % SYLLABLES.length]}`;
});
// Zipf: a few words everywhere, most words rare — like chat.
const cumulative: number[] = [];
VOCABULARY.reduce((sum, _w, rank) => (cumulative[rank] = sum + 1 / (rank + 1)), 0);
const zipfTotal = cumulative.at(-1)!;
function zipfWord(): string {
  const target = random() * zipfTotal;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo]!;
}
function messageText(): string {
  const words = Array.from({ length: 4 + Math.floor(random() * 16) }, zipfWord);
  const roll = random();
  if (roll < 0.01) words.splice(Math.floor(random() * words.length), 0, 'red', 'guitar');
  else if (roll < 0.02) words.push('red');
  else if (roll < 0.03) words.unshift('guitar');
  return words.join(' ');
}

const QUERIES = {
  'common word': () => VOCABULARY[0]!,
  'rare word': () => VOCABULARY[12_000 + Math.floor(queryRandom() * 1000)]!,
  'two words': () => `${VOCABULARY[40 + Math.floor(queryRandom() * 20)]} ${VOCABULARY[70 + Math.floor(queryRandom() * 20)]}`,
  phrase: () => '"red guitar"',
} as const;
type QueryKind = keyof typeof QUERIES;

/** Deterministic UUID-shaped ids, so cached data and a fresh run agree on the rooms. */
const idRandom = mulberry32(1);
const seededId = () => {
  const hex = Array.from({ length: 32 }, () => Math.floor(idRandom() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
};
const roomIds = Array.from({ length: ROOMS }, seededId);
const userIds = Array.from({ length: USERS }, seededId);

interface Row {
  dialect: string;
  kind: QueryKind;
  scope: 'one room' | `${number} rooms`;
  index: number[];
  scan: number[];
  windowScan: number[];
  hits: number;
}

function log(message: string) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

async function seedSqlite(file: string): Promise<void> {
  random = mulberry32(42); // the same messages in both dialects
  const migrated = await openDatabase({ url: null, sqlitePath: file, log: pino({ level: 'silent' }) });
  await migrated.close();
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = new Date().toISOString();
  const insertUser = db.prepare("insert into users (id, username, display_name, password_hash, role, created_at) values (?, ?, ?, null, 'member', ?)");
  const insertRoom = db.prepare('insert into rooms (id, name, created_by, created_at, last_seq) values (?, ?, null, ?, 0)');
  const insertMessage = db.prepare(
    'insert into messages (id, room_id, user_id, client_id, seq, content, created_at) values (?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    userIds.forEach((id, i) => insertUser.run(id, `user${i}`, `user${i}`, now));
    roomIds.forEach((id, i) => insertRoom.run(id, `room ${i}`, now));
  })();
  const seqs = new Array<number>(ROOMS).fill(0);
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const room = i % ROOMS;
      seqs[room]! += 1;
      insertMessage.run(randomUUID(), roomIds[room], userIds[i % USERS], `c${i}`, seqs[room], messageText(), now);
    }
  });
  for (let from = 0; from < MESSAGES; from += 50_000) {
    batch(from, Math.min(MESSAGES, from + 50_000));
    if (from % 200_000 === 0) log(`sqlite: ${from} messages`);
  }
  db.exec("insert into messages_fts(messages_fts) values ('optimize')");
  db.exec('analyze');
  db.close();
}

async function seedPostgres(database: Database): Promise<void> {
  const db = database.db;
  random = mulberry32(42); // the same messages in both dialects
  const now = new Date().toISOString();
  await db.insertInto('users').values(userIds.map((id, i) => ({ id, username: `user${i}`, display_name: `user${i}`, password_hash: null, role: 'member' as const, created_at: now }))).execute();
  await db.insertInto('rooms').values(roomIds.map((id, i) => ({ id, name: `room ${i}`, created_by: null, created_at: now, last_seq: 0 }))).execute();
  // Bulk load without the GIN index, then build it once (as a restore would).
  const { rows: gin } = await sql<{ definition: string }>`select pg_get_indexdef('messages_room_terms_idx'::regclass) as definition`.execute(db);
  await sql`drop index messages_room_terms_idx`.execute(db);
  const seqs = new Array<number>(ROOMS).fill(0);
  for (let from = 0; from < MESSAGES; from += 20_000) {
    const to = Math.min(MESSAGES, from + 20_000);
    const cols: string[][] = [[], [], [], [], [], []];
    for (let i = from; i < to; i++) {
      const room = i % ROOMS;
      seqs[room]! += 1;
      [randomUUID(), roomIds[room]!, userIds[i % USERS]!, `c${i}`, String(seqs[room]), messageText()].forEach((v, c) => cols[c]!.push(v));
    }
    await sql`insert into messages (id, room_id, user_id, client_id, seq, content, created_at)
      select id, room_id, user_id, client_id, seq::bigint, content, ${now}::timestamptz
      from unnest(${cols[0]}::text[], ${cols[1]}::text[], ${cols[2]}::text[], ${cols[3]}::text[], ${cols[4]}::text[], ${cols[5]}::text[])
        as t(id, room_id, user_id, client_id, seq, content)`.execute(db);
    if (from % 200_000 === 0) log(`postgres: ${from} messages`);
  }
  await sql.raw(gin[0]!.definition).execute(db);
  // What the app's inserts keep up to date (SQLite's trigger does it there).
  await sql`update rooms set last_seq = m.last from (select room_id, max(seq) as last from messages group by room_id) m where m.room_id = rooms.id`.execute(db);
  await sql`vacuum analyze messages`.execute(db);
}

function readThrough(file: string): void {
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(8 << 20);
  try {
    while (fs.readSync(fd, chunk, 0, chunk.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The scans' own PostgreSQL session, on the server's defaults (the app's sessions turn JIT off) except
 * one: without a GIN index that starts with room_id, the planner picks a parallel scan of the whole table
 * for 20 rooms (370–550 ms) over the (room_id, seq) index (90–150 ms). The baseline gets the faster plan.
 */
async function postgresScanSession(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('set enable_seqscan = off');
  return client;
}

/** The live messages go to every room in turn, from a sequence of their own (the cached data stays as generated). */
async function sendLiveMessages(repo: ChatRepository): Promise<void> {
  random = mulberry32(99);
  const now = new Date().toISOString();
  for (let i = 0; i < LIVE_MESSAGES; i++) {
    const message = { id: randomUUID(), room_id: roomIds[i % ROOMS]!, user_id: userIds[i % USERS]!, client_id: `live-${i}`, content: messageText() };
    await repo.insertMessage({ ...message, track_id: null, track_time_s: null, created_at: now });
  }
}

/** Takes the live messages out again (also those of a run that stopped halfway), so cached data is reused as it was. */
async function removeLiveMessages(database: Database): Promise<void> {
  const { numDeletedRows } = await database.db.deleteFrom('messages').where('client_id', 'like', 'live-%').executeTakeFirst();
  if (numDeletedRows === 0n) return;
  await sql`update rooms set last_seq = m.last from (select room_id, max(seq) as last from messages group by room_id) m where m.room_id = rooms.id`.execute(database.db);
  // As generated: PostgreSQL vacuumed (without ANALYZE, whose new sample could move the search's choice
  // between runs), SQLite's FTS index merged into one segment again (the deletes added segments of their own).
  if (database.dialect === 'postgres') await sql`vacuum messages`.execute(database.db);
  else await sql`insert into messages_fts(messages_fts) values ('optimize')`.execute(database.db);
}

async function measure(dialect: 'sqlite' | 'postgres', database: Database, postgresUrl?: string): Promise<Row[]> {
  const repo = new ChatRepository(database.db, dialect);
  await removeLiveMessages(database);
  await sendLiveMessages(repo);
  try {
    return await measureQueries(dialect, database, repo, postgresUrl);
  } finally {
    await removeLiveMessages(database);
  }
}

async function measureQueries(dialect: 'sqlite' | 'postgres', database: Database, repo: ChatRepository, postgresUrl?: string): Promise<Row[]> {
  const scanSession = postgresUrl !== undefined ? await postgresScanSession(postgresUrl) : undefined;
  const runScan = async (query: RawBuilder<unknown>) => {
    if (!scanSession) return void (await query.execute(database.db));
    const compiled = query.compile(database.db);
    await scanSession.query(compiled.sql, compiled.parameters as unknown[]);
  };
  queryRandom = mulberry32(7); // the same questions to both dialects
  const like = dialect === 'postgres' ? sql`ilike` : sql`like`;
  const scanFilter = (rooms: string[], q: string) => {
    const words = parseSearch(q);
    const text = words.isPhrase ? [words.words.join(' ')] : words.words;
    const matches = sql.join(text.map((w) => sql`content ${like} ${`%${w}%`}`), sql` and `);
    const inRooms = rooms.length === 1 ? sql`room_id = ${rooms[0]}` : sql`room_id in (${sql.join(rooms)})`;
    return sql`${inRooms} and deleted_at is null and ${matches}`;
  };
  // In one room seq orders like num and has an index; the scans get every help the index path gets.
  const newest = (rooms: string[]) => (rooms.length === 1 ? sql`seq desc` : sql`num desc`);
  /** The scan the index replaces (the seed's search): the same filter and page, every match counted. */
  const scan = async (rooms: string[], q: string) => {
    const where = scanFilter(rooms, q);
    await runScan(sql`select id, content from messages where ${where} order by ${newest(rooms)} limit 50`);
    await runScan(sql`select count(*) from messages where ${where}`);
  };
  /**
   * A scan with the index path's exact semantics: the newest window + 1 matches, the rows the ranking
   * needs (their count is the capped total). It stops early for a frequent word — that is the point of
   * showing it: for such words the window, not the index, is what makes search cheap.
   */
  const windowScan = async (rooms: string[], q: string) => {
    await runScan(sql`select id, content from messages where ${scanFilter(rooms, q)} order by ${newest(rooms)} limit ${SEARCH_RANK_WINDOW + 1}`);
  };
  const rows: Row[] = [];
  const userRooms = roomIds.slice(0, USER_ROOMS);
  for (const kind of Object.keys(QUERIES) as QueryKind[]) {
    for (const scope of ['one room', `${USER_ROOMS} rooms`] as const) {
      const row: Row = { dialect, kind, scope, index: [], scan: [], windowScan: [], hits: 0 };
      // The same queries and rooms for every path. The index runs first, then the scans: a scan of the
      // table between two index queries would evict their pages, a cost the index path never has to pay
      // in the app (nothing there scans the table).
      const question = (i: number) => ({ q: QUERIES[kind](), rooms: scope === 'one room' ? [roomIds[i % ROOMS]!] : userRooms });
      const runs = Array.from({ length: RUNS }, (_, run) => question(run));
      // Warm-up, untimed, with other questions of the same kind where it has several (rare words and
      // word pairs drawn anew; in one room, other rooms; a common word and the phrase are one question):
      // a running app has its code compiled (V8 optimizes a function after many calls, on the same two
      // cores) and its prepared statements planned (PostgreSQL plans one afresh for its first five
      // runs on a connection), and its hot pages in memory (this machine's DAMON reclaims cold page
      // cache between runs). Other questions where there are, so that no timed one finds its own pages loaded.
      for (const { q, rooms } of Array.from({ length: WARMUP_RUNS }, (_, i) => question(RUNS + i))) {
        await repo.search(rooms, parseSearch(q), { limit: 50, offset: 0 });
      }
      await scan(runs[0]!.rooms, runs[0]!.q);
      for (const { q, rooms } of runs) {
        const started = performance.now();
        const result = await repo.search(rooms, parseSearch(q), { limit: 50, offset: 0 });
        row.index.push(performance.now() - started);
        row.hits += result.total / RUNS;
      }
      // The scan is slow: fewer runs keep the whole bench in minutes.
      for (const { q, rooms } of runs.slice(0, SCAN_RUNS)) {
        let started = performance.now();
        await scan(rooms, q);
        row.scan.push(performance.now() - started);
        started = performance.now();
        await windowScan(rooms, q);
        row.windowScan.push(performance.now() - started);
      }
      rows.push(row);
      log(`${dialect} ${kind} ${scope}: index p95 ${percentile(row.index, 95).toFixed(1)} ms, scan p95 ${percentile(row.scan, 95).toFixed(1)} ms`);
    }
  }
  await scanSession?.end();
  return rows;
}

const dir = CACHE !== undefined ? path.resolve(CACHE, `messages-${MESSAGES}`) : fs.mkdtempSync(path.join(os.tmpdir(), 'veza-bench-search-'));
fs.mkdirSync(dir, { recursive: true });
const rows: Row[] = [];
const silent = pino({ level: 'silent' });
let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
let sqliteLoad: number | undefined;
let pgLoad: number | undefined;
try {
  if (ONLY !== 'postgres') {
    const file = path.join(dir, 'veza.db');
    const seeded = path.join(dir, 'sqlite.seeded');
    if (!fs.existsSync(seeded)) {
      fs.rmSync(file, { force: true });
      log(`generating ${MESSAGES} messages in ${ROOMS} rooms (SQLite)`);
      const started = performance.now();
      await seedSqlite(file);
      sqliteLoad = performance.now() - started;
      fs.writeFileSync(seeded, '');
    } else log('SQLite: reusing the cached data');
    // Read the file once: the app's pages are in memory from use, while this machine's DAMON reclaims the
    // page cache of a file left alone between runs (cold, two words across rooms took 33 ms instead of 8).
    for (const name of [file, `${file}-wal`]) if (fs.existsSync(name)) readThrough(name);
    const sqlite = await openDatabase({ url: null, sqlitePath: file, log: silent });
    rows.push(...(await measure('sqlite', sqlite)));
    await sqlite.close();
  }

  if (ONLY !== 'sqlite') {
    log('starting a PostgreSQL for the run');
    const seeded = path.join(dir, 'postgres.seeded');
    const cached = fs.existsSync(seeded);
    postgres = await startPostgres(CACHE !== undefined ? { keepIn: path.join(dir, 'postgres') } : {});
    let url: string;
    if (cached) {
      log('PostgreSQL: reusing the cached data');
      url = fs.readFileSync(seeded, 'utf8');
      const parsed = new URL(url);
      parsed.port = String(postgres.port);
      url = parsed.toString();
    } else url = await createTestDatabase(postgres.url);
    const postgresDb = await openDatabase({ url, sqlitePath: '', log: silent });
    if (!cached) {
      const started = performance.now();
      await seedPostgres(postgresDb);
      pgLoad = performance.now() - started;
      fs.writeFileSync(seeded, url);
    }
    rows.push(...(await measure('postgres', postgresDb, url)));
    await postgresDb.close();
  }

  const fmt = (n: number) => n.toFixed(1);
  const seconds = (ms: number | undefined) => (ms === undefined ? 'cached' : `generated in ${(ms / 1000).toFixed(0)} s`);
  console.log(
    `\nbench:search — ${new Date().toISOString()} — ${MESSAGES.toLocaleString('en')} messages, ${ROOMS} rooms, user in ${USER_ROOMS} rooms; ` +
      `Node ${process.version}, ${os.cpus().length} cores; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `data: SQLite ${seconds(sqliteLoad)}, PostgreSQL ${seconds(pgLoad)}\n`,
  );
  console.log(
    '| dialect | query | scope | avg hits | index p50 ms | index p95 ms | LIKE/ILIKE p50 ms | LIKE/ILIKE p95 ms | speed-up (p95) | target | speed-up (p50) | ' +
      `LIKE newest ${SEARCH_RANK_WINDOW + 1} p95 ms | speed-up vs it (p95) |`,
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const row of rows) {
    const p95 = percentile(row.index, 95);
    const speedup = percentile(row.scan, 95) / p95;
    const target = row.scope === 'one room' ? (p95 <= 10 ? 'met (≤ 10 ms)' : 'MISSED (> 10 ms)') : speedup >= 50 ? 'met (≥ 50×)' : 'MISSED (< 50×)';
    console.log(
      `| ${row.dialect} | ${row.kind} | ${row.scope} | ${Math.round(row.hits)} | ${fmt(percentile(row.index, 50))} | ${fmt(p95)} | ` +
        `${fmt(percentile(row.scan, 50))} | ${fmt(percentile(row.scan, 95))} | ${speedup.toFixed(0)}× | ${target} | ` +
        `${(percentile(row.scan, 50) / percentile(row.index, 50)).toFixed(0)}× | ` +
        `${fmt(percentile(row.windowScan, 95))} | ${(percentile(row.windowScan, 95) / p95).toFixed(1)}× |`,
    );
  }
} finally {
  postgres?.stop();
  if (CACHE === undefined) fs.rmSync(dir, { recursive: true, force: true });
}
