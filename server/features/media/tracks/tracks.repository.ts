import type { Kysely } from 'kysely';
import type { DB, JobStatus, TracksTable } from '../../../infra/db/schema.js';
import { pendingJobRow } from '../transcoding/jobs.repository.js';

export type TrackRow = TracksTable & {
  job_status: JobStatus | null;
  job_progress: number | null;
  job_error: string | null;
  job_rungs: string | null;
};

export class TracksRepository {
  constructor(private readonly db: Kysely<DB>) {}

  private selectTracks() {
    return this.db
      .selectFrom('tracks')
      .leftJoin('transcode_jobs', 'transcode_jobs.track_id', 'tracks.id')
      .selectAll('tracks')
      .select([
        'transcode_jobs.status as job_status',
        'transcode_jobs.progress as job_progress',
        'transcode_jobs.error as job_error',
        'transcode_jobs.rungs as job_rungs',
      ]);
  }

  /** The track and (when transcoding is on) its pending job, in one transaction. */
  async insert(track: TracksTable, options: { withJob: boolean }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tracks').values(track).execute();
      if (options.withJob) {
        await trx.insertInto('transcode_jobs').values(pendingJobRow(track.id, track.created_at)).execute();
      }
    });
  }

  async get(id: string): Promise<TrackRow | undefined> {
    return this.selectTracks().where('tracks.id', '=', id).executeTakeFirst();
  }

  async list(limit: number, offset: number): Promise<{ rows: TrackRow[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.selectTracks().orderBy('tracks.created_at', 'desc').orderBy('tracks.id', 'desc').limit(limit).offset(offset).execute(),
      this.db.selectFrom('tracks').select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.total) };
  }

  async update(id: string, changes: { title?: string; artist?: string }): Promise<void> {
    await this.db
      .updateTable('tracks')
      .set({ ...changes, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('tracks').where('id', '=', id).execute();
  }
}
