import { EventEmitter } from 'node:events';
import { FfmpegError } from './ffmpeg-runner.js';
import type { ClaimedJob, JobStore } from './jobs.repository.js';
import { SupersededError, type Transcoder } from './transcoder.js';

/** Typed events of the queue; the composition root turns them into database rows and socket events. */
export interface JobEvents {
  'job:progress': [{ jobId: string; trackId: string; progress: number }];
  'job:ready': [{ jobId: string; trackId: string; rungs: number[] }];
  'job:failed': [{ jobId: string; trackId: string; error: string }];
}

export interface JobQueueOptions {
  store: JobStore;
  transcoder: Transcoder;
  /** Real path of a track's original file; throws when it is missing or not really in the media dir. */
  originalPath: (trackId: string) => Promise<string>;
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
  /**
   * Team mode: tell the other instances to stop their encode of the track (`upToFence`: claims up to that
   * fence; null: any), so a re-transcode or a delete never leaves an encode running elsewhere.
   * They call `cancelLocal`.
   */
  cancelElsewhere?: (trackId: string, upToFence: number | null) => void;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

interface RunningJob {
  trackId: string;
  fence: number;
  controller: AbortController;
  done: Promise<void>;
  ownerId: string;
  cores: number;
  pids: number[];
  isPaused: boolean;
  /** The paused job whose cores this one runs on (it resumes when this one ends). */
  borrowedFrom: RunningJob | null;
}

/**
 * When every core is busy and a user with nothing encoding has a short upload waiting, a running job of
 * someone else is paused (SIGSTOP: no work lost) and lends its cores until the short one is done. So one
 * user's long or many encodes delay another user's 4-minute track by its own encode time only.
 */
const LENDING = { maxDurationS: 20 * 60, supported: process.platform !== 'win32' };

function signalEncoder(pid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already exited
  }
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
    // Team mode needs no sweep: claimNext takes over jobs whose lease ran out.
    const requeued = this.options.ownsAllJobs ? await this.options.store.requeueAll() : 0;
    if (requeued > 0) this.options.log?.info({ requeued }, 'interrupted transcode jobs re-queued');
    // Each poll claims jobs queued by other instances and jobs whose lease ran out (claimNext takes both).
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 5000);
    this.timer.unref();
    this.kick();
  }

  /** (Re-)transcode: whatever encode of the track runs, here or on another instance, is superseded. */
  async enqueue(trackId: string): Promise<void> {
    await this.cancelLocal(trackId);
    const superseded = await this.options.store.enqueue(trackId);
    // Claims after this one get a higher fence: only the superseded ones stop, wherever the message lands late.
    this.options.cancelElsewhere?.(trackId, superseded);
    this.kick();
  }

  /** Stops the track's encode everywhere (the track is going away). */
  async cancel(trackId: string): Promise<void> {
    this.options.cancelElsewhere?.(trackId, null);
    await this.cancelLocal(trackId);
  }

  /** Stops this instance's encode of the track (if any, and if its claim is not newer) and waits until its processes are gone. */
  async cancelLocal(trackId: string, upToFence: number | null = null): Promise<void> {
    const job = this.running.get(trackId);
    if (!job || (upToFence !== null && job.fence > upToFence)) return;
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
    while (!this.isClosing) {
      const lender = this.busyCores < this.options.cores ? null : this.pickLender();
      if (this.busyCores >= this.options.cores && !lender) return;
      const runningOwners = [...new Set([...this.running.values()].map((job) => job.ownerId))];
      const job = await this.options.store.claimNext(this.leaseMs, lender ? { runningOwners, maxDurationS: LENDING.maxDurationS } : undefined);
      if (!job) return;
      if (job.attempts > (this.options.maxAttempts ?? 3)) {
        await this.options.store.markFailed(job, 'Transcoding was interrupted too many times');
        this.emit('job:failed', { jobId: job.id, trackId: job.trackId, error: 'Transcoding was interrupted too many times' });
        continue;
      }
      if (lender) {
        this.setPaused(lender, true);
        this.options.log?.info({ trackId: job.trackId, paused: lender.trackId }, 'pausing an encode to lend its cores to another user');
        this.launch(job, lender.cores, lender);
      } else {
        const plan = this.options.transcoder.plan(job.source);
        this.launch(job, Math.max(1, Math.min(this.options.cores - this.busyCores, plan.rungs.length)), null);
      }
    }
  }

  private launch(job: ClaimedJob, cores: number, borrowedFrom: RunningJob | null): void {
    if (!borrowedFrom) this.busyCores += cores;
    const controller = new AbortController();
    const running: RunningJob = { trackId: job.trackId, fence: job.fence, controller, done: Promise.resolve(), ownerId: job.ownerId, cores, pids: [], isPaused: false, borrowedFrom };
    running.done = this.run(job, running).finally(() => {
      const borrower = [...this.running.values()].find((other) => other.borrowedFrom === running);
      // Ended while lending (its track deleted): the borrower holds the cores from now on.
      if (borrower) borrower.borrowedFrom = null;
      else if (running.borrowedFrom) this.setPaused(running.borrowedFrom, false);
      else this.busyCores -= cores;
      this.running.delete(job.trackId);
      this.kick();
    });
    this.running.set(job.trackId, running);
  }

  /** A running job that may lend its cores: not paused, not itself on borrowed cores; of the busiest user. */
  private pickLender(): RunningJob | null {
    if (!LENDING.supported) return null;
    const jobs = [...this.running.values()];
    const runningOf = (owner: string) => jobs.filter((job) => job.ownerId === owner).length;
    const candidates = jobs.filter((job) => !job.isPaused && !job.borrowedFrom);
    return candidates.sort((a, b) => runningOf(b.ownerId) - runningOf(a.ownerId))[0] ?? null;
  }

  private setPaused(job: RunningJob, isPaused: boolean): void {
    job.isPaused = isPaused;
    for (const pid of job.pids) signalEncoder(pid, isPaused ? 'SIGSTOP' : 'SIGCONT');
  }

  private async run(job: ClaimedJob, running: RunningJob): Promise<void> {
    const { store } = this.options;
    const { signal } = running.controller;
    const controller = running.controller;
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
        input: { path: await this.options.originalPath(job.trackId), demuxer: job.source.demuxer },
        source: job.source,
        cores: running.cores,
        signal,
        // Checked right before the ladder is swapped in: a superseded encode never publishes.
        isStillHeld: () => store.setProgress(job, 99, this.leaseMs),
        isPaused: () => running.isPaused,
        onEncoder: (pid) => {
          running.pids.push(pid);
          // Started while its job is paused (the pause came before FFmpeg did): it waits too.
          if (running.isPaused) signalEncoder(pid, 'SIGSTOP');
        },
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
      if (reason === 'cancelled' || reason === 'lease lost' || error instanceof SupersededError) return;
      const message = error instanceof FfmpegError ? `FFmpeg ${error.message}` : (error as Error).message;
      this.options.log?.warn({ err: error, trackId: job.trackId }, 'transcode failed');
      await store.markFailed(job, message).catch(() => undefined);
      this.emit('job:failed', { jobId: job.id, trackId: job.trackId, error: message });
    } finally {
      clearInterval(heartbeat);
    }
  }
}
