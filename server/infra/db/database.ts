import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  type SqliteDatabase,
  sql,
} from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { SqliteSynchronous } from '../../config.js';
import { ConfigError } from '../../config.js';
import { migrationProvider } from './migrations/index.js';
import type { SqlDialect } from './dialect.js';
import type { DB } from './schema.js';

// Kept for chat.repository.ts until it imports dialect.ts itself.

export interface Database {
  db: Kysely<DB>;
  dialect: SqlDialect;
  /** Throws when the store cannot answer (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…` for team mode; null opens SQLite at `sqlitePath`. */
  url: string | null;
  sqlitePath: string;
  log: FastifyBaseLogger;
  /** SQLite only; `full` unless told otherwise. */
  synchronous?: SqliteSynchronous;
}

/** Opens the store, proves it answers, and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options.log) : openSqlite(options.sqlitePath, options.synchronous ?? 'full');
  try {
    await migrateToLatest(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openSqlite(file: string, synchronous: SqliteSynchronous): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Private like server.json (sessions, password hashes); SQLite gives its -wal/-shm files the same mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // Several connections (another process, a backup) may hold the write lock briefly.
  sqlite.pragma('busy_timeout = 5000');
  // WAL + FULL: each commit is fsynced, so what was acknowledged survives a power loss too. WAL + NORMAL
  // syncs at checkpoints only: safe from a crash of the app, but a power loss may drop the last commits.
  // The server groups the writes of one event-loop turn into one transaction, so FULL costs one fsync per
  // turn, not per message (bench:chat --durability measures it).
  sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    ping: async () => void sqlite.prepare('select 1').get(),
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; reusing prepared statements (LRU by SQL text) saved ~6% of the
 * server's CPU under chat load (bench:chat profile). Safe because better-sqlite3 runs one statement at a
 * time and Kysely does not stream here.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  // On SQLITE_FULL (disk full) SQLite has already rolled the transaction back; Kysely's own rollback
  // would then fail and hide the real error (a 507 would become a 500).
  const noRollbackNeeded = sqlite.prepare('select 1 where 0');
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      if (text === 'rollback' && !sqlite.inTransaction) return noRollbackNeeded;
      let statement = cache.get(text);
      if (statement) cache.delete(text);
      else statement = sqlite.prepare(text);
      cache.set(text, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/** Timestamps come back as ISO strings, int8 as numbers, so rows look the same on both dialects. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const base = pg.types.getTypeParser(oid, format ?? 'text');
    if (oid === pg.types.builtins.TIMESTAMPTZ || oid === pg.types.builtins.TIMESTAMP) {
      return (value: string) => (base(value) as Date).toISOString();
    }
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return base;
  },
} as pg.CustomTypesConfig;

/**
 * Named prepared statements, the PostgreSQL side of the statement cache above (pgx and asyncpg do the
 * same by default): each connection parses a query text once, and PostgreSQL may then reuse a generic
 * plan where it does not estimate it costlier than planning each call (plan_cache_mode auto). Planning
 * was 30–40% of a search through the index.
 * The first `limit` distinct texts with parameters are named; others run unnamed (texts that vary, such
 * as `in ($1, $2…)` lists, cannot grow a connection's statements without bound).
 */
function withPreparedStatements(pool: pg.Pool, limit = 1000): PostgresPool {
  const statements = new Map<string, { id: number; version: number }>();
  const nameOf = (text: string): string | undefined => {
    let statement = statements.get(text);
    if (statement === undefined && statements.size < limit) statements.set(text, (statement = { id: statements.size, version: 0 }));
    return statement && `v${statement.id}_${statement.version}`;
  };
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = async (text: string, parameters: readonly unknown[]): Promise<pg.QueryResult> => {
      const values = [...parameters];
      const name = values.length > 0 ? nameOf(text) : undefined;
      if (name === undefined) return client.query(text, values);
      try {
        return await client.query({ name, text, values });
      } catch (error) {
        if (!isStalePreparedStatement(error)) throw error;
        // The connection's statement of that name is unusable: the text gets a new name (once, whichever
        // connection notices first) and runs again, parsed afresh.
        const statement = statements.get(text)!;
        if (name === `v${statement.id}_${statement.version}`) statement.version += 1;
        try {
          return await client.query({ name: nameOf(text), text, values });
        } catch (retryError) {
          // Inside a transaction the first error has failed it already; report that one, not the echo.
          throw (retryError as { code?: string }).code === '25P02' ? error : retryError;
        }
      }
    };
    // Kysely's client type also has the cursor form of query, which the app does not use.
    return { query: query as unknown as PostgresPoolClient['query'], release: () => client.release() };
  };
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        // A connection lost while checked out (between two queries of a transaction) is emitted on the
        // client, where the pool listens only while it is idle: unheard, it would end the process. The
        // transaction's next query fails with the error anyway.
        client.on('error', () => undefined);
        clients.set(client, (wrapped = wrap(client)));
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/**
 * A schema change altered the prepared query's result columns (another instance migrating: PostgreSQL
 * refuses the statement from then on; `routine` is not translated, unlike the message), or the statement
 * is gone (DEALLOCATE, DISCARD ALL from a pooler, or node-pg closing it after failing to send a value).
 */
function isStalePreparedStatement(error: unknown): boolean {
  const { code, routine } = error as { code?: string; routine?: string };
  return (code === '0A000' && routine === 'RevalidateCachedQuery') || code === '26000';
}

async function openPostgres(url: string, log: FastifyBaseLogger): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, types: pgTypes });
  // An idle client losing its connection (PostgreSQL restarted) must not kill the process.
  pool.on('error', (error) => log.warn({ err: error }, 'postgres connection lost'));
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new ConfigError('VEZA_DATABASE_URL', `cannot connect to PostgreSQL (${(error as Error).message})`);
  }
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: withPreparedStatements(pool),
      // The app's queries are short, and JIT compiling one costs 5–10 ms; the planner turns it on from cost
      // estimates, which search plans inflate (a 2 ms search took 9). A SET rather than a startup option,
      // which PgBouncer refuses; behind a transaction-mode pooler a session SET does not stick, so set it
      // on the role there (`ALTER ROLE … SET jit = off`, README).
      onCreateConnection: (connection) => connection.executeQuery(CompiledQuery.raw('set jit = off')).then(() => undefined),
    }),
  });
  return {
    db,
    dialect: 'postgres',
    ping: async () => void (await sql`select 1`.execute(db)),
    close: () => db.destroy(),
  };
}

async function migrateToLatest(database: Database): Promise<void> {
  // Kysely's migrator takes a PostgreSQL advisory lock, so instances starting together migrate once.
  const migrator = new Migrator({ db: database.db, provider: migrationProvider(database.dialect) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
