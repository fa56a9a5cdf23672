import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

/** Encoder arguments for each accepted format (output name decides the container). */
export const AUDIO_FORMATS = {
  wav: ['-c:a', 'pcm_s16le'],
  flac: ['-c:a', 'flac'],
  mp3: ['-c:a', 'libmp3lame', '-b:a', '128k'],
  opus: ['-c:a', 'libopus', '-b:a', '96k'],
  m4a: ['-c:a', 'aac', '-b:a', '192k'],
  aiff: ['-c:a', 'pcm_s16be'],
} as const;

/**
 * Deterministic test audio made with FFmpeg's lavfi sources (tones over quiet noise, stereo).
 * Returns the file path.
 */
export function makeAudio(dir: string, name: string, options: { seconds: number; codecArgs?: readonly string[]; sampleRate?: number; frequency?: number; tags?: Record<string, string> }): string {
  const file = path.join(dir, name);
  const rate = options.sampleRate ?? 44100;
  const tags = Object.entries(options.tags ?? {}).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  execFileSync('ffmpeg', [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `sine=frequency=${options.frequency ?? 440}:sample_rate=${rate}:duration=${options.seconds}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:seed=7:sample_rate=${rate}:duration=${options.seconds}`,
    '-filter_complex', '[0][1]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo',
    ...tags,
    ...(options.codecArgs ?? []),
    file,
  ]);
  return file;
}

/** Duration of a media file or playlist as ffprobe reads it. */
export function probeDuration(target: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', target], { encoding: 'utf8' });
  return Number(out.trim());
}

/** A multipart/form-data body built by hand, so tests control every byte of the file name. */
export function multipartBody(parts: Array<{ name: string; value: string } | { name: string; fileName: string; content: Buffer; type?: string }>) {
  const boundary = `----veza${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('value' in part) {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"; filename="`, 'latin1'));
      chunks.push(Buffer.from(part.fileName, 'utf8'));
      chunks.push(Buffer.from(`"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`));
      chunks.push(part.content, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** What a listener gets: the decoded PCM (s16le, stereo, 44.1 kHz) of a file or HLS playlist. */
export function decodePcm(input: string): Buffer {
  return execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', input, '-f', 's16le', '-ac', '2', '-ar', '44100', '-'], { maxBuffer: 256 * 1024 * 1024 });
}

/** Integrated loudness (LUFS) and true peak (dBTP) as FFmpeg's EBU R128 meter reads them. */
export function measureLoudness(input: string): { integratedLufs: number; truePeakDbtp: number } {
  const report = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-i', input, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
  return {
    integratedLufs: Number(/I:\s+(-?[\d.]+) LUFS\s*\n\s*Threshold/.exec(report)?.[1]),
    truePeakDbtp: Number(/True peak:\s*\n\s*Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(report)?.[1]),
  };
}
