import fs from 'node:fs/promises';
import path from 'node:path';
import type { AacCoder } from '../../../config.js';
import type { FfmpegBinaries } from '../../../infra/ffmpeg.js';

import { buildFfmpegArgs, type LadderPlan, planLadder, type SourceMedia } from './ffmpeg-args.js';
import { runProcess } from './ffmpeg-runner.js';
import { type HlsLayout, LADDER_JOB_FILE, MASTER_PLAYLIST } from '../hls-layout.js';
import { ENCODERS_FILE, recordEncoder } from './orphan-encoders.js';
import { buildMasterPlaylist, verifyLadder } from './hls-output.js';

export interface TranscoderOptions {
  binaries: () => Promise<FfmpegBinaries>;
  layout: HlsLayout;
  ladderKbps: number[];
  aacCoder: AacCoder;
  /** A temp dir not kept fresh for this long belongs to a dead attempt (the job lease). */
  staleAfterMs: number;
}

export interface TranscodeRequest {
  trackId: string;
  /** Which enqueueing of the track this encode serves; written into the ladder it publishes. */
  jobKey: string;
  input: { path: string; demuxer: string };
  source: SourceMedia;
  /** Cores granted by the queue. */
  cores: number;
  signal: AbortSignal;
  /** 0–99 while encoding (100 is reported by the queue once the ladder is published). */
  onProgress(percent: number): void;
  /** Each FFmpeg process as it starts (the queue pauses and resumes them). */
  onEncoder?: (pid: number) => void;
  /** True while the queue has this encode paused: its wall-time cap does not run meanwhile. */
  isPaused?: () => boolean;
  /** False once another claim superseded this one: the ladder is then not published. */
  isStillHeld?: () => Promise<boolean>;
}

/** The encode's claim went to another worker before it could publish: nothing was written. */
export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer claim of the job');
  }
}

/** Wall-time cap: a healthy encode runs many times faster than realtime. */
const wallTimeCapMs = (durationS: number) => (3 * durationS + 60) * 1000;

/**
 * Writes one track's HLS ladder. Knows FFmpeg and the filesystem only; the queue decides when it
 * runs and reports the outcome (no database, no sockets here).
 */
export class Transcoder {
  constructor(private readonly options: TranscoderOptions) {}

  plan(source: SourceMedia): LadderPlan {
    return planLadder(source, this.options.ladderKbps);
  }

  /**
   * With two cores or more every rung gets its own process and the OS spreads them over the cores
   * (measured on 2 cores: 3 processes side by side finish at ~0.53× one pass; 2 + 1 would take
   * ~0.67×). With one core, one process writes every rung and decodes once.
   */
  processCount(plan: LadderPlan, cores: number): number {
    return cores >= 2 ? plan.rungs.length : 1;
  }

  /**
   * The ladder this very job published before a crash cut it short of marking itself ready: its rungs,
   * once the ladder proves complete. Null means encode (another job's ladder, or none, or incomplete).
   */
  async alreadyPublished(trackId: string, jobKey: string, source: SourceMedia): Promise<{ rungs: number[] } | null> {
    const dir = this.options.layout.trackDir(trackId);
    const publishedBy = await fs.readFile(path.join(dir, LADDER_JOB_FILE), 'utf8').catch(() => null);
    if (publishedBy !== jobKey) return null;
    const plan = this.plan(source);
    return verifyLadder(dir, plan, source.durationS).then(
      () => ({ rungs: plan.rungs }),
      () => null,
    );
  }

  async transcode(request: TranscodeRequest): Promise<{ rungs: number[] }> {
    const binaries = await this.options.binaries();
    const plan = this.plan(request.source);
    const { layout, staleAfterMs } = this.options;
    const tempDir = await layout.makeTempDir(request.trackId, staleAfterMs);
    const freshness = setInterval(() => void layout.keepFresh(tempDir).catch(() => undefined), staleAfterMs / 4);
    try {
      const argvs = buildFfmpegArgs({
        plan,
        input: request.input,
        outputDir: tempDir,
        aacCoder: this.options.aacCoder,
        processes: this.processCount(plan, request.cores),
      });
      for (const kbps of plan.rungs) await fs.mkdir(path.join(tempDir, `${kbps}k`));
      const positions = argvs.map(() => 0);
      const report = () => request.onProgress(Math.min(99, Math.floor((Math.min(...positions) / request.source.durationS) * 100)));
      // One failing rung aborts its siblings instead of letting them burn CPU for nothing.
      const siblings = new AbortController();
      const onAbort = () => siblings.abort();
      request.signal.addEventListener('abort', onAbort, { once: true });
      // An abort that landed while the temp dir was being made would otherwise never reach FFmpeg.
      if (request.signal.aborted) siblings.abort();
      try {
        await Promise.all(
          argvs.map((argv, i) =>
            runProcess(binaries.ffmpeg, argv, {
              signal: siblings.signal,
              isPaused: request.isPaused,
              onSpawn: (pid) => {
                request.onEncoder?.(pid);
                void recordEncoder(tempDir, pid).catch(() => undefined);
              },
              timeoutMs: wallTimeCapMs(request.source.durationS),
              onProgress: (outTimeS) => {
                positions[i] = outTimeS;
                report();
              },
            }).catch((error: unknown) => {
              siblings.abort();
              throw error;
            }),
          ),
        );
      } finally {
        request.signal.removeEventListener('abort', onAbort);
      }
      request.signal.throwIfAborted();
      const variants = await verifyLadder(tempDir, plan, request.source.durationS);
      await fs.writeFile(path.join(tempDir, MASTER_PLAYLIST), buildMasterPlaylist(variants));
      await fs.writeFile(path.join(tempDir, LADDER_JOB_FILE), request.jobKey);
      await fs.rm(path.join(tempDir, ENCODERS_FILE), { force: true });
      request.signal.throwIfAborted();
      if (request.isStillHeld && !(await request.isStillHeld())) throw new SupersededError();
      await this.options.layout.publish(tempDir, request.trackId);
      return { rungs: plan.rungs };
    } finally {
      clearInterval(freshness);
      await fs.rm(tempDir, { recursive: true, force: true });
    }
  }
}
