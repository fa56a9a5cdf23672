import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  version: string;
}

export type FfmpegLookup = { ok: true; binaries: FfmpegBinaries } | { ok: false; error: string };

/** `-version` of a candidate, or null when it does not run. */
function probeVersion(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['-version'], { timeout: 5000 }, (error, stdout) => {
      resolve(error ? null : (/version (\S+)/.exec(stdout)?.[1] ?? 'unknown'));
    });
  });
}

/** ffmpeg-static is optional and may be installed without its binary (install scripts blocked). */
function ffmpegStaticPath(): string | null {
  try {
    const candidate = createRequire(import.meta.url)('ffmpeg-static') as string | null;
    return candidate && fs.existsSync(candidate) ? candidate : null;
  } catch {
    return null;
  }
}

/** ffprobe beside the chosen ffmpeg (same build), else the one on PATH. */
function siblingProbe(ffmpeg: string): string {
  if (!path.isAbsolute(ffmpeg)) return 'ffprobe';
  const sibling = path.join(path.dirname(ffmpeg), path.basename(ffmpeg).replace(/ffmpeg/i, 'ffprobe'));
  return sibling !== ffmpeg && fs.existsSync(sibling) ? sibling : 'ffprobe';
}

/** VEZA_FFMPEG_PATH → ffmpeg-static → `ffmpeg` on PATH, each checked by running it. */
export async function locateFfmpeg(explicitPath: string | null): Promise<FfmpegLookup> {
  const candidates = explicitPath ? [explicitPath] : [ffmpegStaticPath(), 'ffmpeg'].filter((c): c is string => c !== null);
  for (const ffmpeg of candidates) {
    const version = await probeVersion(ffmpeg);
    if (!version) continue;
    const ffprobe = siblingProbe(ffmpeg);
    if (!(await probeVersion(ffprobe))) return { ok: false, error: `ffprobe not found next to ${ffmpeg} nor on PATH` };
    return { ok: true, binaries: { ffmpeg, ffprobe, version } };
  }
  return {
    ok: false,
    error: explicitPath
      ? `VEZA_FFMPEG_PATH (${explicitPath}) does not run`
      : 'FFmpeg not found: install ffmpeg (e.g. apt-get install ffmpeg) or set VEZA_FFMPEG_PATH',
  };
}
