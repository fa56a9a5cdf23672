import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { SqlDialect } from '../../../infra/db/dialect.js';
import type { DB } from '../../../infra/db/schema.js';
import type { SourceMedia } from './ffmpeg-args.js';

export interface ClaimedJob {
  id: string;
  /** One enqueueing of the track (a re-transcode keeps the id but not the key). */
  key: string;
  trackId: string;
  ownerId: string;
  /** Claims of this enqueueing (crashes and takeovers included); reset by a re-transcode. */
  attempts: number;
  /** Raised by every claim and never reset: this claim's writes land only while it is the latest. */
  fence: number;
  source: SourceMedia;
}

/**
 * A claim is fenced: once another worker claims the job (a takeover after the lease, or a re-transcode
 * claimed anywhere), every write of the old claimer matches no row.
 */
type JobClaim = Pick<ClaimedJob, 'id' | 'fence'>;

/** The queue's view of job persistence (a port, so the queue itself never writes SQL). */
export interface JobStore {
  /** Creates or resets the track's job to pending; returns the fence of the newest claim it supersedes. */
  enqueue(trackId: string): Promise<number>;
  /** `lending`: only a short job (at most `maxDurationS`) of a user with nothing in `runningOwners`. */
  claimNext(leaseMs: number, lending?: { runningOwners: readonly string[]; maxDurationS: number }): Promise<ClaimedJob | null>;
  /** Records progress and extends the lease; false when the claim is no longer held. */
  setProgress(claim: JobClaim, progress: number, leaseMs: number): Promise<boolean>;
  /** false when the claim is no longer held (track deleted, or the job went to another worker). */
  markReady(claim: JobClaim, rungs: number[]): Promise<boolean>;
  markFailed(claim: JobClaim, error: string): Promise<void>;
  /** Back to pending without counting the attempt (graceful shutdown). */
  release(claim: JobClaim): Promise<void>;
  /** Every processing job goes back to pending: at a solo start, whatever was processing was cut short by a crash. */
  requeueAll(): Promise<number>;
}

/** The one shape of a job waiting for its first (or next) attempt: written at upload and at re-transcode. */
export function pendingJobRow(trackId: string, at: string) {
  return { id: randomUUID(), track_id: trackId, status: 'pending', progress: 0, attempts: 0, error: null, rungs: null, lease_expires_at: null, created_at: at, updated_at: at } as const;
}

const now = () => new Date().toISOString();
const leaseUntil = (ms: number) => new Date(Date.now() + ms).toISOString();

/** Pending, or processing under a lease that ran out (its worker died). */
const claimable = (table: 'transcode_jobs' | 'job') =>
  sql<boolean>`(${sql.ref(`${table}.status`)} = 'pending' or (${sql.ref(`${table}.status`)} = 'processing' and ${sql.ref(`${table}.lease_expires_at`)} < ${now()}))`;

export class JobsRepository implements JobStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: SqlDialect,
  ) {}

  async enqueue(trackId: string): Promise<number> {
    const at = now();
    const { id: _newId, track_id: _trackId, ...reset } = pendingJobRow(trackId, at);
    const row = await this.db
      .insertInto('transcode_jobs')
      .values(pendingJobRow(trackId, at))
      .onConflict((oc) => oc.column('track_id').doUpdateSet(reset))
      .returning('claim_fence')
      .executeTakeFirstOrThrow();
    return row.claim_fence;
  }

  /**
   * Oldest claimable job (pending, or processing under a lease that ran out: its worker died), flipped
   * to processing with a compare-and-set, so two workers (team mode) never both win it; PostgreSQL also
   * skips rows another claimer holds locked. Taking expired leases here, not in a later sweep, means a
   * takeover happens at the first poll after the lease.
   */
  async claimNext(leaseMs: number, lending?: { runningOwners: readonly string[]; maxDurationS: number }): Promise<ClaimedJob | null> {
    return this.db.transaction().execute(async (trx) => {
      // Fair between users: the oldest job of whoever has the fewest encodes running goes first, so one
      // user's pile of uploads never queues everyone else's behind it.
      let candidate = trx
        .selectFrom('transcode_jobs as job')
        .innerJoin('tracks', 'tracks.id', 'job.track_id')
        .select('job.id')
        .where(claimable('job'))
        .orderBy(
          (eb) =>
            eb
              .selectFrom('transcode_jobs as running')
              .innerJoin('tracks as running_track', 'running_track.id', 'running.track_id')
              .select((inner) => inner.fn.countAll().as('count'))
              .where('running.status', '=', 'processing')
              .whereRef('running_track.owner_id', '=', 'tracks.owner_id'),
        )
        .orderBy('job.created_at')
        .limit(1);
      if (lending) {
        candidate = candidate.where('tracks.duration_s', '<=', lending.maxDurationS);
        if (lending.runningOwners.length > 0) candidate = candidate.where('tracks.owner_id', 'not in', lending.runningOwners);
      }
      if (this.dialect === 'postgres') candidate = candidate.forUpdate('job').skipLocked();
      const row = await candidate.executeTakeFirst();
      if (!row) return null;
      const claimed = await trx
        .updateTable('transcode_jobs')
        .set({ status: 'processing', progress: 0, attempts: sql`attempts + 1`, claim_fence: sql`claim_fence + 1`, lease_expires_at: leaseUntil(leaseMs), updated_at: now() })
        .where('id', '=', row.id)
        .where(claimable('transcode_jobs'))
        .returning(['id', 'track_id', 'attempts', 'claim_fence', 'created_at'])
        .executeTakeFirst();
      if (!claimed) return null;
      const track = await trx
        .selectFrom('tracks')
        .select(['owner_id', 'demuxer', 'codec', 'bit_rate', 'sample_rate', 'channels', 'duration_s'])
        .where('id', '=', claimed.track_id)
        .executeTakeFirstOrThrow();
      return {
        id: claimed.id,
        key: `${claimed.id} ${claimed.created_at}`,
        trackId: claimed.track_id,
        ownerId: track.owner_id,
        attempts: claimed.attempts,
        fence: claimed.claim_fence,
        source: {
          demuxer: track.demuxer,
          codec: track.codec,
          bitRate: track.bit_rate,
          sampleRate: track.sample_rate,
          channels: track.channels,
          durationS: track.duration_s,
        },
      };
    });
  }

  async setProgress(claim: JobClaim, progress: number, leaseMs: number): Promise<boolean> {
    const result = await this.held(claim)
      .set({ progress, lease_expires_at: leaseUntil(leaseMs), updated_at: now() })
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markReady(claim: JobClaim, rungs: number[]): Promise<boolean> {
    const result = await this.held(claim)
      .set({ status: 'ready', progress: 100, error: null, rungs: JSON.stringify(rungs), lease_expires_at: null, updated_at: now() })
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markFailed(claim: JobClaim, error: string): Promise<void> {
    await this.held(claim).set({ status: 'failed', error: error.slice(0, 500), lease_expires_at: null, updated_at: now() }).execute();
  }

  async release(claim: JobClaim): Promise<void> {
    await this.held(claim)
      .set({ status: 'pending', progress: 0, attempts: sql`attempts - 1`, lease_expires_at: null, updated_at: now() })
      .execute();
  }

  private held(claim: JobClaim) {
    return this.db
      .updateTable('transcode_jobs')
      .where('id', '=', claim.id)
      .where('status', '=', 'processing')
      .where('claim_fence', '=', claim.fence);
  }

  /** How many of one user's tracks wait for or are in an encode, and how many seconds of audio (the queue quota). */
  async queued(ownerId: string): Promise<{ jobs: number; seconds: number }> {
    const row = await this.db
      .selectFrom('transcode_jobs')
      .innerJoin('tracks', 'tracks.id', 'transcode_jobs.track_id')
      .select((eb) => [eb.fn.countAll().as('jobs'), eb.fn.coalesce(eb.fn.sum<number>('tracks.duration_s'), eb.lit(0)).as('seconds')])
      .where('tracks.owner_id', '=', ownerId)
      .where('transcode_jobs.status', 'in', ['pending', 'processing'])
      .executeTakeFirstOrThrow();
    return { jobs: Number(row.jobs), seconds: Number(row.seconds) };
  }

  async requeueAll(): Promise<number> {
    const result = await this.db
      .updateTable('transcode_jobs')
      .set({ status: 'pending', progress: 0, lease_expires_at: null, updated_at: now() })
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
