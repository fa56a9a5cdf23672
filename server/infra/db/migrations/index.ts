import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { SqlDialect } from '../dialect.js';
import { chatMigrations } from './chat.migrations.js';

/**
 * Versioned migrations for both dialects. Append only: a released migration is never edited.
 * Names sort in the order they run.
 */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  const timestamp = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  const float = dialect === 'postgres' ? sql`double precision` : sql`real`;
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
    '0005_tracks': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('tracks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('artist', 'text', (c) => c.notNull())
          .addColumn('duration_s', float, (c) => c.notNull())
          // What the probe found; the transcoder plans the ladder from it without probing again.
          .addColumn('demuxer', 'text', (c) => c.notNull())
          .addColumn('codec', 'text', (c) => c.notNull())
          .addColumn('bit_rate', 'bigint')
          .addColumn('sample_rate', 'integer', (c) => c.notNull())
          .addColumn('channels', 'integer', (c) => c.notNull())
          .addColumn('size_bytes', 'bigint', (c) => c.notNull())
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('tracks_created_idx').on('tracks').columns(['created_at', 'id']).execute();
        await db.schema.createIndex('tracks_owner_idx').on('tracks').column('owner_id').execute();
      },
    },
    '0006_transcode_jobs': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('transcode_jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          // One job row per track: a retry resets it, so the track's stream status has one source.
          .addColumn('track_id', 'text', (c) => c.notNull().unique().references('tracks.id').onDelete('cascade'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'processing', 'ready', 'failed')`))
          .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('error', 'text')
          .addColumn('rungs', 'text')
          // A processing job whose lease ran out belongs to a worker that died (team mode).
          .addColumn('lease_expires_at', timestamp)
          .addColumn('created_at', timestamp, (c) => c.notNull())
          .addColumn('updated_at', timestamp, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('transcode_jobs_status_idx').on('transcode_jobs').columns(['status', 'created_at']).execute();
      },
    },
    '0010_transcode_job_fence': {
      async up(db: Kysely<unknown>) {
        // Grows with every claim and is never reset (a re-transcode resets `attempts`): the only safe fence.
        await db.schema.alterTable('transcode_jobs').addColumn('claim_fence', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      },
    },
  };
  return { getMigrations: async () => migrations };
}
