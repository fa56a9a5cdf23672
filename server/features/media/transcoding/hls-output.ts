/**
 * Checks of a written ladder and its master playlist, from the files actually on disk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { RUNG_PLAYLIST, rungName, SEGMENT_NAME } from '../hls-layout.js';
import type { LadderPlan } from './ffmpeg-args.js';

export interface VariantSummary {
  kbps: number;
  segmentDurations: number[];
  totalBytes: number;
  peakBitsPerSecond: number;
}

class HlsVerificationError extends Error {
  constructor(message: string) {
    super(`HLS output failed verification: ${message}`);
    this.name = 'HlsVerificationError';
  }
}

/** Reads one VOD variant playlist: segment names and durations, checking the shape on the way. */
function parseVariantPlaylist(text: string): Array<{ uri: string; durationS: number }> {
  const lines = text.split('\n').map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new HlsVerificationError('playlist does not start with #EXTM3U');
  if (!lines.includes('#EXT-X-ENDLIST')) throw new HlsVerificationError('playlist has no #EXT-X-ENDLIST');
  const segments: Array<{ uri: string; durationS: number }> = [];
  let duration: number | null = null;
  for (const line of lines) {
    const extinf = /^#EXTINF:([\d.]+),/.exec(line);
    if (extinf) duration = Number(extinf[1]);
    else if (line && !line.startsWith('#')) {
      if (duration === null || !SEGMENT_NAME.test(line)) throw new HlsVerificationError(`unexpected playlist entry ${line}`);
      segments.push({ uri: line, durationS: duration });
      duration = null;
    }
  }
  if (segments.length === 0) throw new HlsVerificationError('playlist lists no segment');
  return segments;
}

/**
 * Every variant ends with #EXT-X-ENDLIST, every segment exists and is non-empty, the total duration
 * agrees with the probe, and segment boundaries are identical across rungs (so ABR switches cleanly).
 */
export async function verifyLadder(dir: string, plan: LadderPlan, expectedDurationS: number): Promise<VariantSummary[]> {
  const summaries: VariantSummary[] = [];
  for (const kbps of plan.rungs) {
    const variantDir = path.join(dir, rungName(kbps));
    const segments = parseVariantPlaylist(await fs.readFile(path.join(variantDir, RUNG_PLAYLIST), 'utf8'));
    let totalBytes = 0;
    let peakBitsPerSecond = 0;
    for (const segment of segments) {
      const { size } = await fs.stat(path.join(variantDir, segment.uri));
      if (size === 0) throw new HlsVerificationError(`${rungName(kbps)}/${segment.uri} is empty`);
      totalBytes += size;
      if (segment.durationS > 0) peakBitsPerSecond = Math.max(peakBitsPerSecond, (size * 8) / segment.durationS);
    }
    const total = segments.reduce((sum, s) => sum + s.durationS, 0);
    if (Math.abs(total - expectedDurationS) > Math.max(0.5, expectedDurationS * 0.005)) {
      throw new HlsVerificationError(`${rungName(kbps)} lasts ${total.toFixed(2)} s, the source ${expectedDurationS.toFixed(2)} s`);
    }
    summaries.push({ kbps, segmentDurations: segments.map((s) => s.durationS), totalBytes, peakBitsPerSecond });
  }
  const [first, ...others] = summaries;
  for (const other of others) {
    const isAligned =
      other.segmentDurations.length === first!.segmentDurations.length &&
      other.segmentDurations.every((d, i) => Math.abs(d - first!.segmentDurations[i]!) < 0.001);
    if (!isAligned) throw new HlsVerificationError(`segments of ${rungName(other.kbps)} do not line up with ${rungName(first!.kbps)}`);
  }
  return summaries;
}

/**
 * Master playlist: peak and average bandwidth measured from the segments actually written. BANDWIDTH is
 * an upper bound, so it is raised where needed to keep the rungs in order: on simple material the
 * encoder can undershoot a higher rung below a lower one, and players sort levels by BANDWIDTH.
 */
export function buildMasterPlaylist(variants: VariantSummary[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  let previousPeak = 0;
  for (const variant of [...variants].sort((a, b) => a.kbps - b.kbps)) {
    const totalS = variant.segmentDurations.reduce((sum, d) => sum + d, 0);
    const average = Math.ceil((variant.totalBytes * 8) / totalS);
    const peak = Math.max(Math.ceil(variant.peakBitsPerSecond), average, variant.kbps * 1000, previousPeak + 1);
    previousPeak = peak;
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${peak},AVERAGE-BANDWIDTH=${average},CODECS="mp4a.40.2"`);
    lines.push(`${rungName(variant.kbps)}/${RUNG_PLAYLIST}`);
  }
  return `${lines.join('\n')}\n`;
}
