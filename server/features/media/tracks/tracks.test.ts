import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Track, TrackStatusEvent } from '../../../../src/shared/api.js';
import { makeTestApp, type TestApp } from '../../../../test/support/app.js';
import { AUDIO_FORMATS, makeAudio, multipartBody, probeDuration } from '../../../../test/support/audio.js';
import { waitFor } from '../../../../test/support/free-port.js';

let t: TestApp;
let token: string;
let fixtures: string;
const auth = () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-audio-'));
  t = await makeTestApp();
  token = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(fixtures, { recursive: true, force: true });
});

async function upload(file: Buffer, fileName: string, fields: Record<string, string> = {}, host?: string) {
  const body = multipartBody([...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', fileName, content: file }]);
  return t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': body.contentType, ...(host ? { host } : {}) }, payload: body.payload });
}

async function waitReady(id: string, timeoutMs = 60_000): Promise<Track> {
  return waitFor<Track | null>(
    async () => {
      const track = (await t.request({ method: 'GET', url: `/api/v1/tracks/${id}`, headers: auth() })).json<Track>();
      if (track.stream_status === 'failed') throw new Error(`transcode failed: ${track.stream_error}`);
      return track.stream_status === 'ready' ? track : null;
    },
    { timeoutMs, intervalMs: 100, what: `track ${id} ready` },
  ) as Promise<Track>;
}

const hlsDir = (id: string) => path.join(t.config.dataDir, 'media', 'hls', id);

describe('accepted formats', () => {
  it.each(Object.keys(AUDIO_FORMATS))('%s goes to ready and its master playlist lasts as long as the source', { timeout: 60_000 }, async (format) => {
    const ext = format === 'opus' ? 'opus' : format;
    const file = makeAudio(fixtures, `tone.${ext}`, { seconds: 4, codecArgs: AUDIO_FORMATS[format as keyof typeof AUDIO_FORMATS] });
    const res = await upload(fs.readFileSync(file), `My Song.${ext}`);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<Track>();
    expect(created.title).toBe('My Song');
    expect(created.duration_s).toBeCloseTo(4, 0);
    const ready = await waitReady(created.id);
    expect(ready.stream_manifest_url).toBe(`/api/v1/tracks/${created.id}/hls/master.m3u8`);
    expect(ready.stream_progress).toBe(100);
    const master = path.join(hlsDir(created.id), 'master.m3u8');
    expect(Math.abs(probeDuration(master) - 4)).toBeLessThanOrEqual(0.5);
    const text = fs.readFileSync(master, 'utf8');
    expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="mp4a\.40\.2"/);
  });
});

describe('ladder', () => {
  it('gives a 128k MP3 no rung above 128k', { timeout: 60_000 }, async () => {
    const file = makeAudio(fixtures, 'cbr128.mp3', { seconds: 3, codecArgs: AUDIO_FORMATS.mp3 });
    const track = (await upload(fs.readFileSync(file), 'cbr128.mp3')).json<Track>();
    await waitReady(track.id);
    expect(fs.readdirSync(hlsDir(track.id)).sort()).toEqual(['.job', '128k', 'master.m3u8']);
    const master = fs.readFileSync(path.join(hlsDir(track.id), 'master.m3u8'), 'utf8');
    expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(1);
  });

  it('writes the full 128/256/320 ladder for a lossless source, segments aligned across rungs', { timeout: 60_000 }, async () => {
    const file = makeAudio(fixtures, 'long.flac', { seconds: 14, codecArgs: AUDIO_FORMATS.flac });
    const track = (await upload(fs.readFileSync(file), 'long.flac', { title: 'Given Title', artist: 'Given Artist' })).json<Track>();
    expect([track.title, track.artist]).toEqual(['Given Title', 'Given Artist']);
    await waitReady(track.id);
    const extinf = (rung: string) => fs.readFileSync(path.join(hlsDir(track.id), rung, 'playlist.m3u8'), 'utf8').match(/#EXTINF:[\d.]+/g);
    expect(extinf('128k')!.length).toBe(3);
    expect(extinf('256k')).toEqual(extinf('128k'));
    expect(extinf('320k')).toEqual(extinf('128k'));
    const master = fs.readFileSync(path.join(hlsDir(track.id), 'master.m3u8'), 'utf8');
    const bandwidths = [...master.matchAll(/AVERAGE-BANDWIDTH=(\d+)/g)].map((m) => Number(m[1]) / 1000);
    expect(bandwidths).toHaveLength(3);
    // Encoders undershoot on simple material; the order and the magnitude are what players rely on.
    bandwidths.forEach((kbps) => expect(kbps).toBeGreaterThan(64));
    for (const [, peak, average] of master.matchAll(/BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+)/g)) expect(Number(peak)).toBeGreaterThanOrEqual(Number(average));
    const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
    expect(Number(/veza_transcode_jobs_total\{outcome="ready"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toContain('veza_transcode_jobs_running');
  });

  it('takes title and artist from tags when the form does not give them', async () => {
    const file = makeAudio(fixtures, 'tagged.flac', { seconds: 2, codecArgs: AUDIO_FORMATS.flac, tags: { title: 'Tagged Title', artist: 'Tagged Artist' } });
    const track = (await upload(fs.readFileSync(file), 'whatever.flac')).json<Track>();
    expect([track.title, track.artist]).toEqual(['Tagged Title', 'Tagged Artist']);
  });
});

describe('hostile uploads', () => {
  const validMp3 = () => fs.readFileSync(makeAudio(fixtures, 'ok.mp3', { seconds: 1, codecArgs: AUDIO_FORMATS.mp3 }));

  function truncatedFlac(): Buffer {
    const whole = fs.readFileSync(makeAudio(fixtures, 'whole.flac', { seconds: 10, codecArgs: AUDIO_FORMATS.flac }));
    return whole.subarray(0, Math.floor(whole.length / 2));
  }

  function videoOnly(): Buffer {
    const file = path.join(fixtures, 'video.mp4');
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=10', '-c:v', 'mpeg4', '-an', file]);
    return fs.readFileSync(file);
  }

  /** 2 s of FLAC whose STREAMINFO claims 10 hours of samples (ffprobe believes the header). */
  function claimsTenHours(): Buffer {
    const flac = Buffer.from(fs.readFileSync(makeAudio(fixtures, 'short.flac', { seconds: 2, codecArgs: AUDIO_FORMATS.flac })));
    const total = 44100 * 3600 * 10;
    const info = 8; // after "fLaC" and the metadata block header
    flac[info + 13] = (flac[info + 13]! & 0xf0) | Math.floor(total / 2 ** 32);
    flac.writeUInt32BE(total % 2 ** 32, info + 14);
    return flac;
  }

  const cases: Array<[string, () => Buffer, string, string]> = [
    ['an m3u8 playlist renamed .mp3', () => Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n'), 'playlist.mp3', 'UNSUPPORTED_MEDIA'],
    ['text renamed .mp3', () => Buffer.from('this is not audio at all\n'.repeat(200)), 'notes.mp3', 'UNSUPPORTED_MEDIA'],
    ['an empty file', () => Buffer.alloc(0), 'empty.mp3', 'UNSUPPORTED_MEDIA'],
    ['a truncated FLAC', truncatedFlac, 'cut.flac', 'UNSUPPORTED_MEDIA'],
    ['a video-only file', videoOnly, 'clip.m4a', 'UNSUPPORTED_MEDIA'],
    ['a FLAC claiming 10 h', claimsTenHours, 'long.flac', 'UNSUPPORTED_MEDIA'],
    ['a client file name ../../x.mp3', validMp3, '../../x.mp3', 'VALIDATION_FAILED'],
    ['a file name with a NUL byte', validMp3, 'evil\u0000.mp3', 'VALIDATION_FAILED'],
    ['a file name of 300 characters', validMp3, `${'a'.repeat(296)}.mp3`, 'VALIDATION_FAILED'],
    ['an absolute file name', validMp3, '/tmp/veza-escape-x.mp3', 'VALIDATION_FAILED'],
  ];

  it.each(cases)('refuses %s and keeps nothing', async (_name, content, fileName, code) => {
    const before = (await t.request({ method: 'GET', url: '/api/v1/tracks', headers: auth() })).json<{ total: number }>().total;
    const res = await upload(content(), fileName);
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(code);
    const after = (await t.request({ method: 'GET', url: '/api/v1/tracks', headers: auth() })).json<{ total: number }>().total;
    expect(after).toBe(before);
    const media = path.join(t.config.dataDir, 'media');
    expect(fs.readdirSync(path.join(media, 'tmp'))).toEqual([]);
    // Nothing of the upload escaped the data dir under any of the names the client suggested.
    for (const escape of [path.resolve(media, 'tmp', fileName.replace(/\0/g, '')), path.resolve(t.config.dataDir, fileName.replace(/\0/g, '')), '/tmp/veza-escape-x.mp3', path.resolve(t.config.dataDir, '..', 'x.mp3')]) {
      if (!escape.startsWith(t.config.dataDir + path.sep)) expect(fs.existsSync(escape), escape).toBe(false);
    }
  });

  it('answers 413 PAYLOAD_TOO_LARGE above the configured size and keeps nothing', async () => {
    const small = await makeTestApp({ VEZA_MAX_UPLOAD_MB: '1' });
    try {
      const ownerToken = await small.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'o' });
      const body = multipartBody([{ name: 'file', fileName: 'big.wav', content: Buffer.alloc(1024 * 1024 + 10, 1) }]);
      const res = await small.request({ method: 'POST', url: '/api/v1/tracks', headers: { authorization: `Bearer ${ownerToken}`, 'content-type': body.contentType }, payload: body.payload });
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
      expect(fs.readdirSync(path.join(small.config.dataDir, 'media', 'tmp'))).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('requires a signed-in user', async () => {
    const body = multipartBody([{ name: 'file', fileName: 'a.mp3', content: validMp3() }]);
    const res = await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { 'content-type': body.contentType }, payload: body.payload });
    expect(res.statusCode).toBe(401);
  });
});

describe('library routes', () => {
  let track: Track;
  let original: Buffer;
  beforeAll(async () => {
    original = fs.readFileSync(makeAudio(fixtures, 'range.wav', { seconds: 2, codecArgs: AUDIO_FORMATS.wav }));
    track = (await upload(original, 'range.wav')).json<Track>();
  });

  it('stream-url gives media elements a tokenized URL of the original, scoped to that track', async () => {
    const issued = await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream-url`, headers: auth() });
    expect(issued.statusCode).toBe(200);
    const { url, expires_at } = issued.json<{ url: string; expires_at: number }>();
    expect(url).toMatch(new RegExp(`^/api/v1/tracks/${track.id}/stream\\?token=`));
    expect(expires_at).toBeGreaterThan(Date.now() / 1000);

    const part = await t.request({ method: 'GET', url, headers: { range: 'bytes=0-99' } });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(original.subarray(0, 100))).toBe(true);

    const token = new URL(url, 'http://x').searchParams.get('token')!;
    const other = (await upload(original, 'other.wav')).json<Track>();
    for (const [target, query] of [
      [other.id, `token=${token}`], // another track's token
      [track.id, `token=${token.slice(0, -2)}`], // truncated
      [track.id, 'token='], // empty
    ] as const) {
      const refused = await t.request({ method: 'GET', url: `/api/v1/tracks/${target}/stream?${query}` });
      expect(refused.statusCode).toBe(401);
      expect(refused.rawPayload.length).toBeLessThan(400); // a problem body, no media bytes
    }
    expect((await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream` })).statusCode).toBe(401);
  });

  it('serves the original with Range', async () => {
    const full = await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream`, headers: auth() });
    expect(full.statusCode).toBe(200);
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers['content-type']).toBe('audio/wav');
    expect(full.rawPayload.equals(original)).toBe(true);

    const part = await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream`, headers: { ...auth(), range: 'bytes=100-199' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${original.length}`);
    expect(part.rawPayload.equals(original.subarray(100, 200))).toBe(true);

    const tail = await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream`, headers: { ...auth(), range: 'bytes=-10' } });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.equals(original.subarray(original.length - 10))).toBe(true);

    const beyond = await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream`, headers: { ...auth(), range: `bytes=${original.length}-` } });
    expect(beyond.statusCode).toBe(416);
  });

  it('lists, gets and patches tracks; only the owner may patch', async () => {
    const list = (await t.request({ method: 'GET', url: '/api/v1/tracks?limit=2', headers: auth() })).json<{ tracks: Track[]; total: number }>();
    expect(list.tracks.length).toBeLessThanOrEqual(2);
    expect(list.total).toBeGreaterThanOrEqual(1);
    const patched = await t.request({ method: 'PATCH', url: `/api/v1/tracks/${track.id}`, headers: auth(), payload: { title: 'Renamed' } });
    expect(patched.json<Track>().title).toBe('Renamed');
    const bad = await t.request({ method: 'PATCH', url: `/api/v1/tracks/${track.id}`, headers: auth(), payload: { owner_id: 'x' } });
    expect(bad.statusCode).toBe(400);
    const missing = await t.request({ method: 'GET', url: `/api/v1/tracks/00000000-0000-4000-8000-000000000000`, headers: auth() });
    expect(missing.statusCode).toBe(404);
  });

  it('deleting a track during its transcode stops FFmpeg and removes every file', { timeout: 60_000 }, async () => {
    const file = makeAudio(fixtures, 'del.wav', { seconds: 60, codecArgs: AUDIO_FORMATS.wav });
    const doomed = (await upload(fs.readFileSync(file), 'del.wav')).json<Track>();
    await waitFor(() => t.app.transcodeQueue.isRunning(doomed.id), { timeoutMs: 40_000, intervalMs: 10, what: 'transcode started' });
    const res = await t.request({ method: 'DELETE', url: `/api/v1/tracks/${doomed.id}`, headers: auth() });
    expect(res.statusCode).toBe(204);
    expect(t.app.transcodeQueue.isRunning(doomed.id)).toBe(false);
    const hlsRoot = path.join(t.config.dataDir, 'media', 'hls');
    expect(fs.readdirSync(hlsRoot).filter((name) => name.includes(doomed.id))).toEqual([]);
    expect(fs.existsSync(path.join(t.config.dataDir, 'media', 'originals', doomed.id))).toBe(false);
    expect((await t.request({ method: 'GET', url: `/api/v1/tracks/${doomed.id}`, headers: auth() })).statusCode).toBe(404);
  });
});

describe('track:status events', () => {
  it('reaches the owner socket with progress, then ready with the manifest URL', { timeout: 90_000 }, async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    t.app.hostPolicy.bindPort(port);
    const client = connect(`http://127.0.0.1:${port}`, { path: '/api/v1/ws', auth: { token }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('connect_error', reject);
      });
      const events: TrackStatusEvent[] = [];
      client.on('track:status', (event: TrackStatusEvent) => events.push(event));
      const file = makeAudio(fixtures, 'events.wav', { seconds: 20, codecArgs: AUDIO_FORMATS.wav });
      const host = `127.0.0.1:${port}`;
      const track = (await upload(fs.readFileSync(file), 'events.wav', {}, host)).json<Track>();
      const ready = await waitFor(() => events.find((e) => e.track_id === track.id && e.stream_status === 'ready'), { timeoutMs: 60_000, what: 'ready event' });
      expect(ready!.stream_manifest_url).toBe(`/api/v1/tracks/${track.id}/hls/master.m3u8`);
      const progress = events.filter((e) => e.track_id === track.id && e.stream_status === 'processing').map((e) => e.stream_progress);
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      const status = (await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/hls/status`, headers: { ...auth(), host } })).json();
      expect(status).toEqual({ track_id: track.id, status: 'ready', progress: 100, error: null });
    } finally {
      client.close();
    }
  });
});
