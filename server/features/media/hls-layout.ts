/**
 * The one vocabulary of a published HLS ladder: rung and segment names, playlist names, the headers a
 * segment is sent with, and where a track's ladder lives on disk. FFmpeg writes these names, the routes
 * and the fast path accept only these, the verifier checks them.
 *
 *   <hls root>/<track id>/master.m3u8
 *   <hls root>/<track id>/<rung>/playlist.m3u8      rung: `128k`
 *   <hls root>/<track id>/<rung>/seg_00000.ts
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { API_PREFIX } from '../../../src/shared/routes.js';
import { stopOrphanedEncoders } from './transcoding/orphan-encoders.js';

/** Name of a rung in URLs and on disk (`128k`). */
export const rungName = (kbps: number) => `${kbps}k`;
export const RUNG_NAME = /^\d{2,3}k$/;

export const MASTER_PLAYLIST = 'master.m3u8';
export const RUNG_PLAYLIST = 'playlist.m3u8';

/** FFmpeg's `-hls_segment_filename` template; SEGMENT_NAME matches exactly what it writes. */
export const FFMPEG_SEGMENT_TEMPLATE = 'seg_%05d.ts';
export const SEGMENT_NAME = /^seg_\d{5}\.ts$/;
export const SEGMENT_NAME_LENGTH = 'seg_00000.ts'.length;
const SEGMENT_CONTENT_TYPE = 'video/mp2t';
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** A segment never changes under its name while its token lives: the route and the fast path send these. */
export const SEGMENT_HEADERS = {
  'content-type': SEGMENT_CONTENT_TYPE,
  'cache-control': 'private, max-age=3600, immutable',
  'accept-ranges': 'bytes',
} as const;

/** Path of a track's master playlist under the API (players get it with `?token=`). */
export const masterPlaylistPath = (trackId: string) => `${API_PREFIX}/tracks/${trackId}/hls/${MASTER_PLAYLIST}`;

/** In a published ladder: which job (id and enqueue time) wrote it, so a crash before "ready" is not re-encoded. */
export const LADDER_JOB_FILE = '.job';

const TEMP_PREFIX = '.tmp-';
const OLD_PREFIX = '.old-';

/**
 * Where HLS output lives and how it becomes visible: written into a temp dir beside the final one,
 * verified, then renamed into place in one step, so a crash leaves either no HLS or a complete one.
 */
export class HlsLayout {
  constructor(readonly root: string) {}

  trackDir(trackId: string): string {
    return path.join(this.root, trackId);
  }

  /**
   * A fresh name per attempt: a FFmpeg orphaned by a crash can never write into a later attempt, and no
   * attempt removes another's live work (a superseded encode on another instance stops and cleans up
   * itself). What an attempt that died left (not kept fresh for `staleAfterMs`) goes first.
   */
  async makeTempDir(trackId: string, staleAfterMs: number): Promise<string> {
    await this.removeLeftovers(trackId, staleAfterMs);
    await fs.mkdir(this.root, { recursive: true });
    const dir = path.join(this.root, `${TEMP_PREFIX}${trackId}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(dir);
    return dir;
  }

  /** Atomic swap into `<root>/<trackId>` (a previous ladder is moved aside first, then removed). */
  async publish(tempDir: string, trackId: string): Promise<void> {
    const finalDir = this.trackDir(trackId);
    const old = path.join(this.root, `${OLD_PREFIX}${trackId}-${randomBytes(4).toString('hex')}`);
    const hadOld = await fs.rename(finalDir, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await fs.rename(tempDir, finalDir);
    if (hadOld) await fs.rm(old, { recursive: true, force: true });
  }

  async remove(trackId: string): Promise<void> {
    await fs.rm(this.trackDir(trackId), { recursive: true, force: true });
  }

  /** A running attempt touches its temp dir this often, so others can tell it from a dead one's leftovers. */
  async keepFresh(tempDir: string): Promise<void> {
    const now = new Date();
    await fs.utimes(tempDir, now, now);
  }

  /**
   * Whatever a crash left half-written goes: all of it at a solo start, one track's stale temp dirs
   * before a new attempt (team instances share the media dir, so one must never sweep another's work in
   * progress).
   */
  async removeLeftovers(trackId?: string, staleAfterMs = 0): Promise<string[]> {
    const entries = await fs.readdir(this.root).catch(() => [] as string[]);
    const prefixes = [TEMP_PREFIX, OLD_PREFIX].map((prefix) => (trackId ? `${prefix}${trackId}-` : prefix));
    const candidates = entries.filter((name) => prefixes.some((prefix) => name.startsWith(prefix)));
    const isStale = async (name: string) => {
      const stat = await fs.stat(path.join(this.root, name)).catch(() => null);
      return stat !== null && Date.now() - stat.mtimeMs >= staleAfterMs;
    };
    const leftovers = (await Promise.all(candidates.map(async (name) => ((await isStale(name)) ? name : null)))).filter((name) => name !== null);
    await Promise.all(
      leftovers.map(async (name) => {
        const dir = path.join(this.root, name);
        await stopOrphanedEncoders(dir);
        // Retried: a process that was still writing may add a file between the scan and the rmdir.
        await fs.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }),
    );
    return leftovers;
  }
}
