import { sql } from 'kysely';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/dialects.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from './database.js';

describeEachDialect(
  'PostgreSQL statements',
  (ctx) => {
    it('queries with parameters run as named prepared statements, parsed once per connection', async () => {
      const prepared = await ctx.database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 3; i++) await trx.selectFrom('rooms').select('name').where('id', '=', `room-${i}`).execute();
        return sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx);
      });
      const statements = prepared.rows.map((row) => row.statement);
      expect(statements.filter((statement) => /from "rooms" where "id" = \$1/.test(statement))).toHaveLength(1);
    });

    it('a schema change that alters a prepared query’s columns (another instance migrating) does not break it', async () => {
      const db = ctx.database.db;
      const room = () => db.selectFrom('rooms').selectAll().where('name', '=', 'General').executeTakeFirstOrThrow();
      // Every pooled connection prepares the query first.
      await Promise.all(Array.from({ length: 10 }, room));
      const other = new pg.Client({ connectionString: (ctx.database as { url?: string }).url! });
      await other.connect();
      await other.query('alter table rooms add column topic text');
      await other.end();
      const after = await Promise.all(Array.from({ length: 10 }, room));
      for (const row of after) expect(row).toHaveProperty('topic', null);
    });

    it('a retried statement reports its own error, and a statement gone from the connection is parsed again', async () => {
      const db = ctx.database.db;
      const room = (id: string) => ({ id, name: id, created_by: null, created_at: new Date().toISOString(), last_seq: 0 });
      const insert = (id: string) => db.insertInto('rooms').values(room(id)).returningAll().execute();
      await Promise.all(['r1', 'r2', 'r3'].map(insert));
      await sql`alter table rooms add column topic text`.execute(db);
      // The retry after the schema change runs the insert for real: the duplicate is what the caller hears.
      await expect(insert('r1')).rejects.toMatchObject({ code: '23505' });
      await db.connection().execute(async (connection) => {
        const byId = () => connection.selectFrom('rooms').select('name').where('id', '=', 'r2').executeTakeFirstOrThrow();
        await byId();
        await sql`deallocate all`.execute(connection);
        expect(await byId()).toEqual({ name: 'r2' });
      });
    });

    it('the search index takes new messages directly, without a pending list that every search would read', async () => {
      const { rows } = await sql<{ options: string[] | null }>`
        select reloptions as options from pg_class where relname = 'messages_room_terms_idx'`.execute(ctx.database.db);
      expect(rows[0]?.options).toContain('fastupdate=off');
    });
  },
  ['postgres'],
);

it('the SQLite database and its WAL files are readable by their owner only, including a database created 0644 before', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-db-mode-'));
  const log = pino({ level: 'silent' });
  try {
    const fresh = await openDatabase({ url: null, sqlitePath: path.join(dir, 'veza.db'), log });
    await fresh.db.selectFrom('users').selectAll().execute();
    const older = path.join(dir, 'older.db');
    fs.writeFileSync(older, '', { mode: 0o644 });
    const reopened = await openDatabase({ url: null, sqlitePath: older, log });
    for (const name of fs.readdirSync(dir)) expect((fs.statSync(path.join(dir, name)).mode & 0o777).toString(8), name).toBe('600');
    expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining(['veza.db', 'veza.db-wal', 'older.db']));
    await Promise.all([fresh.close(), reopened.close()]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('SQLite commits are fsynced (synchronous=FULL) unless VEZA_SQLITE_SYNCHRONOUS=normal asks for crash safety only', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-db-sync-'));
  const log = pino({ level: 'silent' });
  const setting = async (synchronous?: 'full' | 'normal') => {
    const database = await openDatabase({ url: null, sqlitePath: path.join(dir, `${synchronous ?? 'default'}.db`), log, synchronous });
    try {
      const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db);
      return rows[0]?.synchronous;
    } finally {
      await database.close();
    }
  };
  try {
    expect(await setting()).toBe(2); // FULL
    expect(await setting('full')).toBe(2);
    expect(await setting('normal')).toBe(1);
    expect(loadConfig({ VEZA_DATA_DIR: dir }).sqliteSynchronous).toBe('full');
    expect(loadConfig({ VEZA_DATA_DIR: dir, VEZA_SQLITE_SYNCHRONOUS: 'normal' }).sqliteSynchronous).toBe('normal');
    expect(() => loadConfig({ VEZA_DATA_DIR: dir, VEZA_SQLITE_SYNCHRONOUS: 'off' })).toThrow(/VEZA_SQLITE_SYNCHRONOUS/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
