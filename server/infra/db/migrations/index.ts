import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { SqlDialect } from '../database.js';
import { chatMigrations } from './chat.migrations.js';

/**
 * Versioned migrations for both dialects. Append only: a released migration is never edited.
 * Names sort in the order they run.
 */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  const timestamp = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  const migrations: Record<string, Migration> = {
    '0001_accounts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'member')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('auth_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('session', 'launch')`))
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('expires_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('auth_tokens_user_idx').on('auth_tokens').column('user_id').execute();
      },
    },
    ...chatMigrations(dialect),
  };
  return { getMigrations: async () => migrations };
}
