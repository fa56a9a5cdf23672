import { describe, expect, it } from 'vitest';
import { buildMasterPlaylist } from './hls-output.js';

const variant = (kbps: number, peakKbps: number, averageKbps: number) => ({
  kbps,
  segmentDurations: [6, 6],
  totalBytes: (averageKbps * 1000 * 12) / 8,
  peakBitsPerSecond: peakKbps * 1000,
});

describe('buildMasterPlaylist', () => {
  it('keeps BANDWIDTH rising with the rung even when a higher rung undershoots, and never below the nominal rate', () => {
    const master = buildMasterPlaylist([variant(320, 290, 250), variant(128, 140, 120), variant(256, 300, 240)]);
    const rungs = [...master.matchAll(/BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+).*\n(\d+)k\/playlist\.m3u8/g)].map((m) => ({
      peak: Number(m[1]),
      average: Number(m[2]),
      kbps: Number(m[3]),
    }));
    expect(rungs.map((r) => r.kbps)).toEqual([128, 256, 320]);
    expect(rungs.map((r) => r.peak)).toEqual([140_000, 300_000, 320_000]);
    expect(rungs.map((r) => r.average)).toEqual([120_000, 240_000, 250_000]);
    expect(master).toContain('CODECS="mp4a.40.2"');
  });
});
