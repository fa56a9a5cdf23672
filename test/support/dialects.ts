import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, inject } from 'vitest';
import { type Database, openDatabase } from '../../server/infra/db/database.js';
import type { SqlDialect } from '../../server/infra/db/dialect.js';
import { createTestDatabase } from './postgres.js';

/** Opens a migrated, empty database of the given dialect (fresh SQLite file or fresh PostgreSQL database). */
async function openTestDatabase(dialect: SqlDialect): Promise<Database & { url: string | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-db-'));
  const url = dialect === 'postgres' ? await createTestDatabase(inject('postgresUrl')) : null;
  const database = await openDatabase({ url, sqlitePath: path.join(dir, 'veza.db'), log: pino({ level: 'silent' }) });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one suite against SQLite and PostgreSQL (or the dialects given); `ctx.database` is fresh for each test. */
export function describeEachDialect(
  name: string,
  suite: (ctx: { database: Database; dialect: SqlDialect }) => void,
  dialects: readonly SqlDialect[] = ['sqlite', 'postgres'],
) {
  for (const dialect of dialects) {
    describe(`${name} [${dialect}]`, () => {
      const ctx = { dialect } as { database: Database; dialect: SqlDialect };
      beforeEach(async () => {
        ctx.database = await openTestDatabase(dialect);
      });
      afterEach(async () => {
        await ctx.database.close();
      });
      suite(ctx);
    });
  }
}
