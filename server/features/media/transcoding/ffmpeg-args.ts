/**
 * Pure planning of the HLS ladder and of the FFmpeg command lines that write it. No I/O here, so the
 * exact commands are tested as data (ffmpeg-args.test.ts).
 */
import path from 'node:path';
import type { AacCoder } from '../../../config.js';
import { FFMPEG_SEGMENT_TEMPLATE, RUNG_PLAYLIST, rungName } from '../hls-layout.js';

/** FFmpeg demuxers we accept (format_name as ffprobe reports it → the name `-f` takes). */
export const DEMUXERS: Record<string, string> = {
  wav: 'wav',
  flac: 'flac',
  mp3: 'mp3',
  ogg: 'ogg',
  'mov,mp4,m4a,3gp,3g2,mj2': 'mov',
  aiff: 'aiff',
  aac: 'aac',
};

/** Codecs whose bitrate already threw information away: no rung may exceed it. */
const LOSSY_CODECS = new Set(['mp3', 'mp2', 'aac', 'vorbis', 'opus', 'ac3', 'eac3', 'wmav2']);

/** Length of an HLS segment in seconds (Apple's recommendation for VOD). */
const SEGMENT_SECONDS = 6;

export interface SourceMedia {
  /** `-f` name of an allowlisted demuxer. */
  demuxer: string;
  codec: string;
  /** bits per second, null when the container does not say. */
  bitRate: number | null;
  sampleRate: number;
  channels: number;
  durationS: number;
}

export interface LadderPlan {
  /** kb/s, ascending. */
  rungs: number[];
  /** One rate for every rung, so segment boundaries (in AAC frames of 1024 samples) line up. */
  sampleRate: 44100 | 48000;
  channels: 1 | 2;
}

function isLossy(codec: string): boolean {
  return LOSSY_CODECS.has(codec);
}

/**
 * The rungs a source deserves: never above what a lossy source carries (5% slack for containers that
 * report 255.9 kb/s for a 256k file), always at least the lowest rung.
 */
export function planLadder(source: SourceMedia, ladderKbps: readonly number[]): LadderPlan {
  let rungs = [...ladderKbps];
  if (isLossy(source.codec)) {
    const ceiling = source.bitRate === null ? 0 : (source.bitRate / 1000) * 1.05;
    rungs = rungs.filter((kbps) => kbps <= ceiling);
    if (rungs.length === 0) rungs = [ladderKbps[0]!];
  }
  // 8 kHz multiples (48k, 96k, 32k, Opus) resample exactly to 48 kHz; the 11.025 kHz family to 44.1 kHz.
  const sampleRate = source.sampleRate % 8000 === 0 ? 48000 : 44100;
  return { rungs, sampleRate, channels: source.channels >= 2 ? 2 : 1 };
}

export interface FfmpegJob {
  plan: LadderPlan;
  input: { path: string; demuxer: string };
  /** Directory that receives the rungs' playlists and segments (hls-layout.ts). */
  outputDir: string;
  aacCoder: AacCoder;
  /** How many FFmpeg processes share the rungs (1 = one pass writes them all). */
  processes: number;
}

function rungOutputArgs(kbps: number, job: FfmpegJob): string[] {
  const dir = path.join(job.outputDir, rungName(kbps));
  return [
    '-map', '0:a:0',
    '-vn', '-sn', '-dn',
    '-map_metadata', '-1',
    '-c:a', 'aac',
    '-profile:a', 'aac_low',
    '-aac_coder', job.aacCoder,
    '-b:a', `${kbps}k`,
    '-ar', String(job.plan.sampleRate),
    '-ac', String(job.plan.channels),
    '-f', 'hls',
    '-hls_time', String(SEGMENT_SECONDS),
    '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', path.join(dir, FFMPEG_SEGMENT_TEMPLATE),
    path.join(dir, RUNG_PLAYLIST),
  ];
}

/** Splits rungs over processes round-robin: with one per rung the OS spreads them over the cores. */
export function splitRungs(rungs: readonly number[], processes: number): number[][] {
  const count = Math.max(1, Math.min(processes, rungs.length));
  const groups: number[][] = Array.from({ length: count }, () => []);
  rungs.forEach((kbps, i) => groups[i % count]!.push(kbps));
  return groups;
}

/**
 * One argv per process. Every process decodes the same input with the same resampler, so AAC frames
 * and therefore segment cuts fall on identical timestamps in every rung (verified after the encode).
 */
export function buildFfmpegArgs(job: FfmpegJob): string[][] {
  return splitRungs(job.plan.rungs, job.processes).map((group) => [
    // Never read the terminal; report progress as key=value lines on stdout.
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error',
    '-progress', 'pipe:1',
    // The input may only be this local file, read with the demuxer the probe allowlisted: a crafted
    // file can neither switch demuxer (e.g. to an HLS playlist pointing elsewhere) nor open URLs.
    '-protocol_whitelist', 'file',
    '-f', job.input.demuxer,
    '-i', `file:${job.input.path}`,
    ...group.flatMap((kbps) => rungOutputArgs(kbps, job)),
  ]);
}

/** Arguments of the probe run (ffprobe), limited to the same demuxers and local files. */
export function buildProbeArgs(file: string): string[] {
  return [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-format_whitelist', Object.values(DEMUXERS).join(','),
    '-print_format', 'json',
    '-show_format', '-show_streams',
    `file:${file}`,
  ];
}

/** A full decode to null: proves every packet decodes and measures the real duration. */
export function buildDecodeCheckArgs(file: string, demuxer: string): string[] {
  return [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error',
    '-progress', 'pipe:1',
    '-protocol_whitelist', 'file',
    '-f', demuxer,
    '-i', `file:${file}`,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-f', 'null', '-',
  ];
}
