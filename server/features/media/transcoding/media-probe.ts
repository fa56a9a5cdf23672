import fs from 'node:fs/promises';
import type { FfmpegBinaries } from '../../../infra/ffmpeg.js';
import { buildDecodeCheckArgs, buildProbeArgs, DEMUXERS, type SourceMedia } from './ffmpeg-args.js';
import { FfmpegError, runProcess } from './ffmpeg-runner.js';
import { sanitizeText } from '../../../../src/shared/text.js';

/** Limits of what we agree to transcode (anything beyond is a mistake or an attack). */
const MEDIA_LIMITS = { maxDurationS: 12 * 3600, maxChannels: 8, maxSampleRate: 192_000 };

/** The file is not audio we accept; the message is safe to show the user. */
export class MediaRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaRejectedError';
  }
}

export interface ProbedMedia extends SourceMedia {
  title: string | null;
  artist: string | null;
}

interface ProbeJson {
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    sample_rate?: string;
    channels?: number;
    bit_rate?: string;
    duration?: string;
    tags?: Record<string, string>;
  }>;
}

function tag(tags: Array<Record<string, string> | undefined>, name: string): string | null {
  for (const set of tags) {
    for (const [key, value] of Object.entries(set ?? {})) {
      if (key.toLowerCase() !== name) continue;
      const text = sanitizeText(value).slice(0, 200);
      if (text) return text;
    }
  }
  return null;
}

const positive = (value: string | undefined) => {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : null;
};

/**
 * The gate every upload passes before anything is kept: ffprobe restricted to allowlisted demuxers and
 * local files, sanity limits, then a full decode that proves the file is whole (a truncated FLAC or a
 * WAV header claiming 10 h decodes to far less than it claims). Decoding costs ~1% of the encode.
 */
export async function probeMedia(binaries: FfmpegBinaries, file: string): Promise<ProbedMedia> {
  const { size } = await fs.stat(file);
  if (size === 0) throw new MediaRejectedError('The file is empty');

  let json: ProbeJson;
  try {
    const { stdout } = await runProcess(binaries.ffprobe, buildProbeArgs(file), { timeoutMs: 30_000 });
    json = JSON.parse(stdout) as ProbeJson;
  } catch (error) {
    if (error instanceof FfmpegError && error.reason === 'spawn') throw error;
    throw new MediaRejectedError('Not a supported audio file (accepted: WAV, FLAC, MP3, Ogg/Opus, M4A/AAC, AIFF)');
  }

  const demuxer = DEMUXERS[json.format?.format_name ?? ''];
  if (!demuxer) throw new MediaRejectedError('Not a supported audio format (accepted: WAV, FLAC, MP3, Ogg/Opus, M4A/AAC, AIFF)');
  const audio = json.streams?.find((stream) => stream.codec_type === 'audio');
  if (!audio?.codec_name) throw new MediaRejectedError('The file has no audio stream');

  const channels = audio.channels ?? 0;
  const sampleRate = positive(audio.sample_rate) ?? 0;
  const claimedS = positive(json.format?.duration) ?? positive(audio.duration);
  if (channels < 1 || channels > MEDIA_LIMITS.maxChannels) throw new MediaRejectedError(`Unsupported channel count (${channels}; at most ${MEDIA_LIMITS.maxChannels})`);
  if (sampleRate < 1 || sampleRate > MEDIA_LIMITS.maxSampleRate) throw new MediaRejectedError(`Unsupported sample rate (${sampleRate} Hz; at most 192 kHz)`);
  if (claimedS === null) throw new MediaRejectedError('The file has no duration');
  if (claimedS > MEDIA_LIMITS.maxDurationS) throw new MediaRejectedError('The file is longer than 12 hours');

  let decodedS: number;
  try {
    // Reading a 12 h file at a few hundred times realtime stays within minutes; anything slower is hostile.
    const result = await runProcess(binaries.ffmpeg, buildDecodeCheckArgs(file, demuxer), { onProgress: () => undefined, timeoutMs: 60_000 + claimedS * 20 });
    decodedS = result.outTimeS;
  } catch (error) {
    if (error instanceof FfmpegError && error.reason === 'spawn') throw error;
    throw new MediaRejectedError('The audio cannot be decoded');
  }
  if (decodedS <= 0) throw new MediaRejectedError('The audio cannot be decoded');
  if (decodedS < claimedS - Math.max(0.5, claimedS * 0.03)) {
    throw new MediaRejectedError(`The file is truncated or damaged (${decodedS.toFixed(1)} s decodable of ${claimedS.toFixed(1)} s claimed)`);
  }

  return {
    demuxer,
    codec: audio.codec_name,
    bitRate: positive(audio.bit_rate) ?? positive(json.format?.bit_rate),
    sampleRate,
    channels,
    durationS: Math.round(decodedS * 1000) / 1000,
    title: tag([json.format?.tags, audio.tags], 'title'),
    artist: tag([json.format?.tags, audio.tags], 'artist'),
  };
}
