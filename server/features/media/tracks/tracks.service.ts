import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { HlsStatus, Track, TrackList, TrackStatusEvent, User } from '../../../../src/shared/api.js';
import { ErrorCode } from '../../../../src/shared/errors.js';
import { AppError, notFound, TooManyRequestsError } from '../../../infra/errors.js';
import { masterPlaylistPath } from '../hls-layout.js';
import { MediaRejectedError, type ProbedMedia } from '../transcoding/media-probe.js';
import type { MediaStore } from './media-store.js';
import type { TrackRow, TracksRepository } from './tracks.repository.js';
import { isSingleLineText, normalizeText } from '../../../../src/shared/text.js';

/** What the library needs from the transcode queue. */
interface TranscodeScheduler {
  enqueue(trackId: string): Promise<void>;
  cancel(trackId: string): Promise<void>;
  kick(): void;
}

export interface TracksServiceOptions {
  repository: TracksRepository;
  media: MediaStore;
  probe: (file: string) => Promise<ProbedMedia>;
  scheduler: TranscodeScheduler;
  /** Removes a track's HLS ladder. */
  removeHls: (trackId: string) => Promise<void>;
  hlsEnabled: boolean;
  /** After a delete: whoever caches stream data of the track forgets it. */
  onRemoved?: (trackId: string) => void;
  /** The user's tracks waiting for or in an encode, and their seconds of audio. */
  queued: (ownerId: string) => Promise<{ jobs: number; seconds: number }>;
}

/**
 * Budgets that keep one user from taking the transcoder from everyone else. Real audio costs at least
 * ~6 kb/s (speech Opus); under 1 kb/s a file is a decompression bomb (130 KB of FLAC "silence" that
 * decodes to 11 hours). The queue holds at most 12 hours and 50 tracks of one user's audio.
 */
const TRANSCODE_BUDGET = { minBytesPerSecond: 125, maxQueuedAudioS: 12 * 3600, maxQueuedJobs: 50 };

const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;

const MIME_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  mov: 'audio/mp4',
  aiff: 'audio/aiff',
  aac: 'audio/aac',
};

/** The client's file name only ever becomes a title; anything path-like or odd is refused outright. */
export function titleFromFileName(name: string | undefined): string {
  if (name === undefined || name === '') return 'Untitled';
  const isHostile = /[/\\]/.test(name) || !isSingleLineText(name) || /^[A-Za-z]:/.test(name) || Buffer.byteLength(name) > 255 || name === '.' || name === '..';
  if (isHostile) throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'The file name must be a plain name (no path, no control characters, at most 255 bytes)');
  const title = normalizeText(name.replace(/\.[A-Za-z0-9]{1,5}$/, ''));
  return title || 'Untitled';
}

function toTrackJson(row: TrackRow): Track {
  return {
    id: row.id,
    title: row.title,
    artist: row.artist,
    duration_s: row.duration_s,
    owner_id: row.owner_id,
    created_at: row.created_at,
    stream_status: row.job_status ?? 'pending',
    stream_progress: row.job_progress ?? 0,
    stream_manifest_url: row.job_status === 'ready' ? masterPlaylistPath(row.id) : null,
    stream_error: row.job_error,
  };
}

export function toStatusEvent(track: Track): TrackStatusEvent {
  return {
    track_id: track.id,
    stream_status: track.stream_status,
    stream_progress: track.stream_progress,
    stream_manifest_url: track.stream_manifest_url,
    stream_error: track.stream_error,
  };
}

export class TracksService {
  constructor(private readonly options: TracksServiceOptions) {}

  /**
   * An upload already streamed to `tempPath`: probe it, then keep it under a new id with its track row
   * and job row. Any refusal removes the temp file, so nothing of a rejected upload stays.
   */
  async create(owner: User, upload: { tempPath: string; fileName: string; title?: string; artist?: string }): Promise<Track> {
    const { media, repository } = this.options;
    let isAdopted = false;
    const id = randomUUID();
    try {
      let probed: ProbedMedia;
      try {
        probed = await this.options.probe(upload.tempPath);
      } catch (error) {
        if (error instanceof MediaRejectedError) throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA, error.message);
        throw error;
      }
      const { size } = await fs.stat(upload.tempPath);
      if (size / probed.durationS < TRANSCODE_BUDGET.minBytesPerSecond) {
        throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA, `The file decodes to ${hours(probed.durationS)} of audio from ${Math.ceil(size / 1024)} KB, which no real recording does`);
      }
      if (this.options.hlsEnabled) await this.checkQueueRoom(owner, probed.durationS);
      await media.adoptUpload(upload.tempPath, id);
      isAdopted = true;
      const at = new Date().toISOString();
      await repository.insert(
        {
          id,
          owner_id: owner.id,
          title: upload.title ?? probed.title ?? upload.fileName,
          artist: upload.artist ?? probed.artist ?? owner.display_name,
          duration_s: probed.durationS,
          demuxer: probed.demuxer,
          codec: probed.codec,
          bit_rate: probed.bitRate === null ? null : Math.round(probed.bitRate),
          sample_rate: probed.sampleRate,
          channels: probed.channels,
          size_bytes: size,
          created_at: at,
          updated_at: at,
        },
        { withJob: this.options.hlsEnabled },
      );
    } catch (error) {
      await fs.rm(upload.tempPath, { force: true });
      if (isAdopted) await media.removeOriginal(id);
      throw error;
    }
    if (this.options.hlsEnabled) this.options.scheduler.kick();
    return this.get(id);
  }

  /** Throws 429 when one more track of `addingS` seconds would exceed this user's room in the queue. */
  async checkQueueRoom(owner: User, addingS = 0): Promise<void> {
    const queued = await this.options.queued(owner.id);
    if (queued.seconds + addingS > TRANSCODE_BUDGET.maxQueuedAudioS) {
      throw new TooManyRequestsError(`${hours(queued.seconds)} of your audio is already waiting to be transcoded (at most ${hours(TRANSCODE_BUDGET.maxQueuedAudioS)}); upload more once some of it is ready`, 60_000);
    }
    if (queued.jobs >= TRANSCODE_BUDGET.maxQueuedJobs) {
      throw new TooManyRequestsError(`${queued.jobs} of your tracks are already waiting to be transcoded (at most ${TRANSCODE_BUDGET.maxQueuedJobs}); upload more once some are ready`, 60_000);
    }
  }

  async get(id: string): Promise<Track> {
    const row = await this.options.repository.get(id);
    if (!row) throw notFound('Track');
    return toTrackJson(row);
  }

  async list(limit: number, offset: number): Promise<TrackList> {
    const { rows, total } = await this.options.repository.list(limit, offset);
    return { tracks: rows.map(toTrackJson), total };
  }

  private async requireOwned(user: User, id: string): Promise<Track> {
    const track = await this.get(id);
    if (track.owner_id !== user.id) throw new AppError(403, ErrorCode.FORBIDDEN, 'Only the owner of the track can change it');
    return track;
  }

  async update(user: User, id: string, changes: { title?: string; artist?: string }): Promise<Track> {
    const normalized: { title?: string; artist?: string } = {};
    for (const name of ['title', 'artist'] as const) {
      if (changes[name] === undefined) continue;
      normalized[name] = normalizeText(changes[name]);
      if (!normalized[name]) throw new AppError(400, ErrorCode.VALIDATION_FAILED, `${name} may not be blank`);
    }
    await this.requireOwned(user, id);
    await this.options.repository.update(id, normalized);
    return this.get(id);
  }

  /** Stops its encode first, so no FFmpeg writes into a folder being removed. */
  async delete(user: User, id: string): Promise<void> {
    await this.requireOwned(user, id);
    await this.options.scheduler.cancel(id);
    await this.options.repository.delete(id);
    await Promise.all([this.options.media.removeOriginal(id), this.options.removeHls(id)]);
    this.options.onRemoved?.(id);
  }

  /** The track plus the rungs of its ready ladder (empty until ready). */
  async streamState(id: string): Promise<{ track: Track; rungs: number[] }> {
    const row = await this.options.repository.get(id);
    if (!row) throw notFound('Track');
    const rungs = row.job_status === 'ready' && row.job_rungs ? (JSON.parse(row.job_rungs) as number[]) : [];
    return { track: toTrackJson(row), rungs };
  }

  async status(id: string): Promise<HlsStatus> {
    const track = await this.get(id);
    return { track_id: id, status: track.stream_status, progress: track.stream_progress, error: track.stream_error };
  }

  /** (Re)starts transcoding; an existing ladder keeps playing until the new one is swapped in. */
  async retranscode(user: User, id: string): Promise<HlsStatus> {
    await this.requireOwned(user, id);
    await this.options.scheduler.enqueue(id);
    return this.status(id);
  }

  async original(id: string): Promise<{ path: string; size: number; contentType: string; modifiedAt: Date }> {
    const row = await this.options.repository.get(id);
    if (!row) throw notFound('Track');
    const original = await this.options.media.containedOriginal(id);
    if (!original) throw notFound('Original file');
    return { path: original.path, size: original.stat.size, contentType: MIME_TYPES[row.demuxer] ?? 'application/octet-stream', modifiedAt: original.stat.mtime };
  }
}
