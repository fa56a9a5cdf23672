import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs, buildProbeArgs, planLadder, type SourceMedia, splitRungs } from './ffmpeg-args.js';

const LADDER = [128, 256, 320];
const wav: SourceMedia = { demuxer: 'wav', codec: 'pcm_s16le', bitRate: 1_411_200, sampleRate: 44100, channels: 2, durationS: 240 };

describe('planLadder', () => {
  it('gives a lossless source the whole ladder at its sample-rate family', () => {
    expect(planLadder(wav, LADDER)).toEqual({ rungs: [128, 256, 320], sampleRate: 44100, channels: 2 });
    expect(planLadder({ ...wav, sampleRate: 96000 }, LADDER).sampleRate).toBe(48000);
    expect(planLadder({ ...wav, sampleRate: 88200 }, LADDER).sampleRate).toBe(44100);
    expect(planLadder({ ...wav, channels: 6 }, LADDER).channels).toBe(2);
    expect(planLadder({ ...wav, channels: 1 }, LADDER).channels).toBe(1);
  });

  it('never goes above a lossy source bitrate, and keeps at least the lowest rung', () => {
    const mp3 = { ...wav, demuxer: 'mp3', codec: 'mp3' };
    expect(planLadder({ ...mp3, bitRate: 128_000 }, LADDER).rungs).toEqual([128]);
    expect(planLadder({ ...mp3, bitRate: 320_000 }, LADDER).rungs).toEqual([128, 256, 320]);
    expect(planLadder({ ...mp3, codec: 'aac', bitRate: 255_900 }, LADDER).rungs).toEqual([128, 256]);
    expect(planLadder({ ...mp3, codec: 'opus', bitRate: 64_000 }, LADDER).rungs).toEqual([128]);
    expect(planLadder({ ...mp3, bitRate: null }, LADDER).rungs).toEqual([128]);
  });
});

describe('splitRungs', () => {
  it('spreads rungs round-robin over at most one process per rung', () => {
    expect(splitRungs([128, 256, 320], 1)).toEqual([[128, 256, 320]]);
    expect(splitRungs([128, 256, 320], 2)).toEqual([[128, 320], [256]]);
    expect(splitRungs([128, 256, 320], 8)).toEqual([[128], [256], [320]]);
  });
});

describe('buildFfmpegArgs', () => {
  const rungArgs = (kbps: number, coder = 'twoloop') => [
    '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1',
    '-c:a', 'aac', '-profile:a', 'aac_low', '-aac_coder', coder, '-b:a', `${kbps}k`, '-ar', '44100', '-ac', '2',
    '-f', 'hls', '-hls_time', '6', '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', `/data/media/hls/.tmp-x/${kbps}k/seg_%05d.ts`, `/data/media/hls/.tmp-x/${kbps}k/playlist.m3u8`,
  ];
  const head = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1',
    '-protocol_whitelist', 'file', '-f', 'wav', '-i', 'file:/data/media/originals/abc',
  ];
  const job = {
    plan: planLadder(wav, LADDER),
    input: { path: '/data/media/originals/abc', demuxer: 'wav' },
    outputDir: '/data/media/hls/.tmp-x',
    aacCoder: 'twoloop' as const,
  };

  it('builds one process per rung when given several cores', () => {
    expect(buildFfmpegArgs({ ...job, processes: 3 })).toEqual([
      [...head, ...rungArgs(128)],
      [...head, ...rungArgs(256)],
      [...head, ...rungArgs(320)],
    ]);
  });

  it('builds a single pass writing every rung for one core, with the configured coder', () => {
    expect(buildFfmpegArgs({ ...job, aacCoder: 'fast', processes: 1 })).toEqual([
      [...head, ...rungArgs(128, 'fast'), ...rungArgs(256, 'fast'), ...rungArgs(320, 'fast')],
    ]);
  });

  it('never passes anything to a shell and forces the probed demuxer', () => {
    const [argv] = buildFfmpegArgs({ ...job, input: { path: '/x/a; rm -rf /', demuxer: 'flac' }, processes: 1 });
    expect(argv).toContain('file:/x/a; rm -rf /');
    expect(argv![argv!.indexOf('-i') - 1]).toBe('flac');
  });

  it('probes with the demuxer allowlist and local files only', () => {
    expect(buildProbeArgs('/t/upload-1')).toEqual([
      '-v', 'error', '-protocol_whitelist', 'file', '-format_whitelist', 'wav,flac,mp3,ogg,mov,aiff,aac',
      '-print_format', 'json', '-show_format', '-show_streams', 'file:/t/upload-1',
    ]);
  });
});
