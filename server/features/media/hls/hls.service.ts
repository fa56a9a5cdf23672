import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { HlsInfo } from '../../../../src/shared/api.js';
import { ErrorCode } from '../../../../src/shared/errors.js';
import { AppError, notFound, unauthorized } from '../../../infra/errors.js';
import { type HlsLayout, masterPlaylistPath, RUNG_NAME, rungName, SEGMENT_NAME } from '../hls-layout.js';
import type { TracksService } from '../tracks/tracks.service.js';
import { type CachedFile, SegmentCache } from './segment-cache.js';
import type { StreamTokens } from '../stream-tokens.js';

/** Reads a file already proven to lie inside the track's HLS dir (injectable so tests can watch opens). */
export type ContainedReader = (file: string) => Promise<{ body: Buffer; mtime: Date }>;

export const readContainedFile: ContainedReader = async (file) => {
  const handle = await fs.open(file, 'r');
  try {
    const [body, stat] = await Promise.all([handle.readFile(), handle.stat()]);
    return { body, mtime: stat.mtime };
  } finally {
    await handle.close();
  }
};

export interface HlsServiceOptions {
  tracks: Pick<TracksService, 'streamState'>;
  layout: HlsLayout;
  tokens: StreamTokens;
  /** Memory for hot HLS files (the LRU's byte budget). */
  cacheBytes: number;
  read?: ContainedReader;
  /** Default LADDER_RECHECK_MS. */
  recheckMs?: number;
}

/** How often a cached track's folder is checked for a swap nobody announced (team mode, lost message). */
const LADDER_RECHECK_MS = 1000;

/** Identity of a published ladder folder: a re-transcode renames a new folder into place. */
async function ladderStamp(dir: string): Promise<string | null> {
  const stat = await fs.stat(dir).catch(() => null);
  return stat ? `${stat.dev}:${stat.ino}:${stat.ctimeMs}` : null;
}

interface LadderCheck {
  stamp: string;
  checkedAtMs: number;
  isChecking: boolean;
}

/** Delivery of ready ladders: token checks, strict names, containment, memory cache. */
export class HlsService {
  /** Rungs of ready tracks, so a segment request costs no database round trip. */
  private readonly rungsByTrack = new Map<string, Set<string>>();
  private readonly read: ContainedReader;
  private readonly recheckMs: number;
  private readonly cache: SegmentCache;
  /**
   * Bumped by every invalidation. A disk or database read that was in flight across one may carry the
   * old ladder, so its result is used for that request but not remembered.
   */
  private epoch = 0;
  /**
   * Folder identity of each track with bytes in memory. Invalidation normally arrives as an event (this
   * instance's job or delete, or the kv broadcast of another instance); if a broadcast is lost, the
   * periodic check of the folder still drops the old bytes within LADDER_RECHECK_MS.
   */
  private readonly ladders = new Map<string, LadderCheck>();

  constructor(private readonly options: HlsServiceOptions) {
    this.read = options.read ?? readContainedFile;
    this.recheckMs = options.recheckMs ?? LADDER_RECHECK_MS;
    // A track whose files all left the cache needs no folder checks any more.
    this.cache = new SegmentCache(options.cacheBytes, (trackId) => this.ladders.delete(trackId));
  }

  /** A re-transcode or a delete: forget everything known about the track. */
  invalidate(trackId: string): void {
    this.epoch++;
    this.rungsByTrack.delete(trackId);
    this.ladders.delete(trackId);
    this.cache.invalidateTrack(trackId);
  }

  async info(trackId: string, userId: string, origin: string): Promise<HlsInfo> {
    const { track, rungs } = await this.options.tracks.streamState(trackId);
    const isAvailable = track.stream_status === 'ready' && rungs.length > 0;
    const issued = isAvailable ? this.options.tokens.issue(trackId, userId) : null;
    return {
      track_id: trackId,
      hls_available: isAvailable,
      qualities: rungs.map((kbps) => ({ name: rungName(kbps), bitrate: kbps * 1000 })),
      duration_s: track.duration_s,
      master_url: issued ? `${origin}${masterPlaylistPath(trackId)}?token=${issued.token}` : null,
      expires_at: issued?.expiresAt ?? null,
    };
  }

  verify(trackId: string, token: string | undefined): void {
    const check = this.options.tokens.verify(token, trackId);
    if (!check.ok) throw unauthorized(check.reason === 'expired' ? 'The stream token has expired' : 'Missing or invalid stream token');
  }

  private async rungs(trackId: string): Promise<Set<string>> {
    let rungs = this.rungsByTrack.get(trackId);
    if (!rungs) {
      const epoch = this.epoch;
      const state = await this.options.tracks.streamState(trackId).catch(() => null);
      if (!state || state.rungs.length === 0) throw notFound('HLS stream');
      rungs = new Set(state.rungs.map(rungName));
      if (epoch === this.epoch) this.rungsByTrack.set(trackId, rungs);
    }
    return rungs;
  }

  /** `quality` must be one of the track's rungs, checked before any path is built. */
  async checkQuality(trackId: string, quality: string): Promise<void> {
    if (!RUNG_NAME.test(quality) || !(await this.rungs(trackId)).has(quality)) throw notFound('Quality');
  }

  checkSegmentName(segment: string): void {
    if (!SEGMENT_NAME.test(segment)) throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'Not a segment name');
  }

  /**
   * For the fast path: a segment whose quality is a known rung of the track and whose bytes are in
   * memory, else undefined (then the route checks everything and reads from disk).
   */
  cachedSegment(trackId: string, quality: string, segment: string): CachedFile | undefined {
    if (!this.rungsByTrack.get(trackId)?.has(quality)) return undefined;
    const file = this.cache.get(trackId, `${quality}/${segment}`);
    if (file) this.recheckLadder(trackId);
    return file;
  }

  /** At most once per LADDER_RECHECK_MS per track, off the request path: has the folder been swapped? */
  private recheckLadder(trackId: string): void {
    const ladder = this.ladders.get(trackId);
    if (!ladder || ladder.isChecking || Date.now() - ladder.checkedAtMs < this.recheckMs) return;
    ladder.isChecking = true;
    void ladderStamp(this.options.layout.trackDir(trackId)).then((stamp) => {
      ladder.isChecking = false;
      ladder.checkedAtMs = Date.now();
      if (stamp !== ladder.stamp && this.ladders.get(trackId) === ladder) this.invalidate(trackId);
    });
  }

  /** From the cache, else from disk after the realpath containment check. */
  async file(trackId: string, name: string): Promise<CachedFile> {
    const cached = this.cache.get(trackId, name);
    if (cached) {
      this.recheckLadder(trackId);
      return cached;
    }
    const epoch = this.epoch;
    const trackDir = this.options.layout.trackDir(trackId);
    // Stamped before the file is opened, so the bytes are never older than the stamp they are kept under.
    const [realRoot, realDir, realFile, stamp] = await Promise.all([
      fs.realpath(this.options.layout.root),
      fs.realpath(trackDir),
      fs.realpath(path.join(trackDir, name)),
      ladderStamp(trackDir),
    ]).catch(() => {
      throw notFound('HLS file');
    });
    // A symlink (or anything else) resolving outside the track's own folder is never opened, and the
    // folder itself must be the real one under the HLS root, not a link to elsewhere.
    if (realDir !== path.join(realRoot, trackId) || !realFile.startsWith(realDir + path.sep)) {
      throw new AppError(403, ErrorCode.FORBIDDEN, 'Outside the stream');
    }
    const { body, mtime } = await this.read(realFile).catch(() => {
      throw notFound('HLS file');
    });
    const file: CachedFile = {
      body,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      lastModified: mtime.toUTCString(),
    };
    // Another instance swapped the folder since this track was cached: the older entries go.
    const known = this.ladders.get(trackId);
    if (known && known.stamp !== stamp) this.invalidate(trackId);
    if (epoch === this.epoch && stamp !== null) {
      this.cache.set(trackId, name, file);
      if (!this.ladders.has(trackId)) this.ladders.set(trackId, { stamp, checkedAtMs: Date.now(), isChecking: false });
    }
    return file;
  }

  /** Every URI line gets the token, so any HLS client plays the master URL as it is. */
  withToken(playlist: Buffer, token: string): string {
    return playlist
      .toString('utf8')
      .split('\n')
      .map((line) => (line && !line.startsWith('#') ? `${line}?token=${token}` : line))
      .join('\n');
  }
}
