import { EventEmitter } from 'node:events';
import { FfmpegError } from './ffmpeg-runner.js';
import type { ClaimedJob, JobStore } from './jobs.repository.js';
import type { Transcoder } from './transcoder.js';

/** Typed events of the queue; the composition root turns them into database rows and socket events. */
export interface JobEvents {
  'job:progress': [{ jobId: string; trackId: string; progress: number }];
  'job:ready': [{ jobId: string; trackId: string; rungs: number[] }];
  'job:failed': [{ jobId: string; trackId: string; error: string }];
}

export interface JobQueueOptions {
  store: JobStore;
  transcoder: Transcoder;
  /** Path of a track's original file. */
  originalPath: (trackId: string) => string;
  /** Concurrency budget in cores. */
  cores: number;
  /** Solo mode owns its data dir: every processing job at start was interrupted by a crash. */
  ownsAllJobs: boolean;
  /** A job that crashed the server this many times is given up on. */
  maxAttempts?: number;
  /** How often to look for jobs queued by other instances and for expired leases. */
  pollMs?: number;
  /** A claimed job is renewed every third of this; a worker silent for this long has died (team mode). */
  leaseMs?: number;
  /** Minimum interval between two progress events of one job. */
  progressIntervalMs?: number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

export class JobQueue extends EventEmitter<JobEvents> {
  private readonly running = new Map<string, RunningJob>();
  private busyCores = 0;
  private isClosing = false;
  private isTicking = false;
  private needsTick = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: JobQueueOptions) {
    super();
  }

  async start(): Promise<void> {
    const requeued = await this.options.store.requeueInterrupted({ all: this.options.ownsAllJobs });
    if (requeued > 0) this.options.log?.info({ requeued }, 'interrupted transcode jobs re-queued');
    this.timer = setInterval(() => {
      void this.options.store.requeueInterrupted({ all: false }).catch(() => undefined);
      this.kick();
    }, this.options.pollMs ?? 5000);
    this.timer.unref();
    this.kick();
  }

  async enqueue(trackId: string): Promise<void> {
    await this.cancel(trackId);
    await this.options.store.enqueue(trackId);
    this.kick();
  }

  /** Stops the track's running encode (if any) and waits until its processes are gone. */
  async cancel(trackId: string): Promise<void> {
    const job = this.running.get(trackId);
    if (!job) return;
    job.controller.abort(new Error('cancelled'));
    await job.done;
  }

  get runningCount(): number {
    return this.running.size;
  }

  isRunning(trackId: string): boolean {
    return this.running.has(trackId);
  }

  /** Checkpoints running jobs: FFmpeg killed, job back to pending for the next start. */
  async close(): Promise<void> {
    this.isClosing = true;
    if (this.timer) clearInterval(this.timer);
    for (const job of this.running.values()) job.controller.abort(new Error('shutdown'));
    const startedAt = Date.now();
    await Promise.all([...this.running.values()].map((job) => job.done));
    this.options.log?.info({ jobs: this.running.size, ms: Date.now() - startedAt }, 'transcode queue checkpointed');
  }

  kick(): void {
    if (this.isClosing) return;
    if (this.isTicking) {
      this.needsTick = true;
      return;
    }
    this.isTicking = true;
    void this.fill()
      .catch((error: unknown) => this.options.log?.warn({ err: error }, 'transcode queue could not claim a job'))
      .finally(() => {
        this.isTicking = false;
        if (this.needsTick) {
          this.needsTick = false;
          this.kick();
        }
      });
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 60_000;
  }

  private async fill(): Promise<void> {
    while (!this.isClosing && this.busyCores < this.options.cores) {
      const job = await this.options.store.claimNext(this.leaseMs);
      if (!job) return;
      if (job.attempts > (this.options.maxAttempts ?? 3)) {
        await this.options.store.markFailed(job, 'Transcoding was interrupted too many times');
        this.emit('job:failed', { jobId: job.id, trackId: job.trackId, error: 'Transcoding was interrupted too many times' });
        continue;
      }
      const plan = this.options.transcoder.plan(job.source);
      const cores = Math.max(1, Math.min(this.options.cores - this.busyCores, plan.rungs.length));
      this.busyCores += cores;
      const controller = new AbortController();
      const done = this.run(job, cores, controller).finally(() => {
        this.busyCores -= cores;
        this.running.delete(job.trackId);
        this.kick();
      });
      this.running.set(job.trackId, { controller, done });
    }
  }

  private async run(job: ClaimedJob, cores: number, controller: AbortController): Promise<void> {
    const { store } = this.options;
    const { signal } = controller;
    const interval = this.options.progressIntervalMs ?? 500;
    let lastProgress = -1;
    let lastAt = 0;
    // The lease is renewed on a clock of its own: progress can stand still for minutes on a long track.
    // Losing it means another instance took the job over, so this encode stops before publishing.
    const heartbeat = setInterval(() => {
      store.setProgress(job, Math.max(0, lastProgress), this.leaseMs).then(
        (isHeld) => isHeld || controller.abort(new Error('lease lost')),
        () => undefined, // the store blinked: the next beat tries again
      );
    }, this.leaseMs / 3);
    this.emit('job:progress', { jobId: job.id, trackId: job.trackId, progress: 0 });
    try {
      // A crash between publishing and "ready" left this job's complete ladder in place: keep it.
      const published = await this.options.transcoder.alreadyPublished(job.trackId, job.key, job.source);
      if (published) this.options.log?.info({ trackId: job.trackId }, 'ladder already published by this job; marking it ready');
      const { rungs } = published ?? await this.options.transcoder.transcode({
        trackId: job.trackId,
        jobKey: job.key,
        input: { path: this.options.originalPath(job.trackId), demuxer: job.source.demuxer },
        source: job.source,
        cores,
        signal,
        onProgress: (progress) => {
          const at = Date.now();
          if (progress === lastProgress || at - lastAt < interval) return;
          lastProgress = progress;
          lastAt = at;
          void store.setProgress(job, progress, this.leaseMs).catch(() => undefined);
          this.emit('job:progress', { jobId: job.id, trackId: job.trackId, progress });
        },
      });
      if (await store.markReady(job, rungs)) {
        this.emit('job:ready', { jobId: job.id, trackId: job.trackId, rungs });
      } else {
        // Another worker holds the job now and publishes the same ladder itself: leave its files alone.
        this.options.log?.warn({ trackId: job.trackId }, 'transcode finished after its lease was lost');
      }
    } catch (error) {
      const reason = signal.aborted ? (signal.reason as Error | undefined)?.message : undefined;
      if (reason === 'shutdown') return void (await store.release(job).catch(() => undefined));
      if (reason === 'cancelled' || reason === 'lease lost') return;
      const message = error instanceof FfmpegError ? `FFmpeg ${error.message}` : (error as Error).message;
      this.options.log?.warn({ err: error, trackId: job.trackId }, 'transcode failed');
      await store.markFailed(job, message).catch(() => undefined);
      this.emit('job:failed', { jobId: job.id, trackId: job.trackId, error: message });
    } finally {
      clearInterval(heartbeat);
    }
  }
}
