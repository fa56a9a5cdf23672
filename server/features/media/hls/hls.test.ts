import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parser } from 'm3u8-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HlsInfo, Track } from '../../../../src/shared/api.js';
import { AUDIO_FORMATS, makeAudio, multipartBody } from '../../../../test/support/audio.js';
import { waitFor } from '../../../../test/support/free-port.js';
import { type HlsTestApp, startHlsTestApp, TRAVERSAL_PAYLOADS } from '../../../../test/support/tracks.js';
import { type App, buildApp } from '../../../app.js';
import { loadConfig } from '../../../config.js';

let env: HlsTestApp;
let app: App;
let dataDir: string;
let fixtures: string;
let origin: string;
let host: string;
let token: string;
let clockMs: number | null = null;
let opened: string[];
const auth = () => ({ authorization: `Bearer ${token}` });

async function request(method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: Buffer | string) {
  return app.inject({ method, url, headers: { host, ...headers }, payload });
}

const uploadReady = (seconds: number, name: string) => env.uploadReady(seconds, name);

async function info(trackId: string): Promise<HlsInfo> {
  return (await request('GET', `/api/v1/tracks/${trackId}/hls/info`, auth())).json<HlsInfo>();
}

function parse(text: string) {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

const pathOf = (url: string) => url.slice(origin.length);
const hlsRoot = () => path.join(dataDir, 'media', 'hls');

let trackA: Track;
let trackB: Track;
let infoA: HlsInfo;
let segmentA: string;

beforeAll(async () => {
  env = await startHlsTestApp('hls', { now: () => clockMs ?? Date.now() });
  ({ app, dataDir, fixtures, host, opened, ownerToken: token } = env);
  origin = `http://${host}`;
  [trackA, trackB] = await Promise.all([uploadReady(13, 'a.wav'), uploadReady(4, 'b.wav')]);
  infoA = await info(trackA.id);
  segmentA = `/api/v1/tracks/${trackA.id}/hls/128k/seg_00000.ts`;
}, 120_000);

afterAll(() => env?.close());

describe('delivery', () => {
  it('hls/info lists the rungs and a master_url that ffprobe plays as it is', async () => {
    expect(infoA).toMatchObject({ track_id: trackA.id, hls_available: true, qualities: [{ name: '128k', bitrate: 128000 }, { name: '256k', bitrate: 256000 }, { name: '320k', bitrate: 320000 }] });
    expect(infoA.master_url).toMatch(new RegExp(`^${origin}/api/v1/tracks/${trackA.id}/hls/master\\.m3u8\\?token=`));
    // Async: the server answering ffprobe lives in this very process.
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', infoA.master_url!], { timeout: 20_000 });
    expect(Math.abs(Number(stdout.trim()) - 13)).toBeLessThanOrEqual(0.5);
  });

  it('every playlist parses with an m3u8 parser and every URI in it carries the token', async () => {
    const masterRes = await request('GET', pathOf(infoA.master_url!));
    expect(masterRes.statusCode).toBe(200);
    expect(masterRes.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(masterRes.headers['cache-control']).toBe('no-cache');
    const master = parse(masterRes.body);
    expect(master.playlists).toHaveLength(3);
    const masterToken = new URL(infoA.master_url!).searchParams.get('token');
    for (const variant of master.playlists!) {
      expect(new URL(variant.uri, infoA.master_url!).searchParams.get('token')).toBe(masterToken);
      expect(variant.attributes.CODECS).toBe('mp4a.40.2');
      const variantUrl = new URL(variant.uri, infoA.master_url!);
      const playlistRes = await request('GET', variantUrl.pathname + variantUrl.search);
      expect(playlistRes.statusCode).toBe(200);
      const playlist = parse(playlistRes.body);
      expect(playlist.endList).toBe(true);
      expect(playlist.segments!.length).toBeGreaterThanOrEqual(3);
      for (const segment of playlist.segments!) {
        const segmentUrl = new URL(segment.uri, variantUrl);
        expect(segmentUrl.searchParams.get('token')).toBe(masterToken);
      }
    }
  });

  it('serves segments with their content type, caching headers, ETag and Range', async () => {
    const query = new URL(infoA.master_url!).search;
    const full = await request('GET', segmentA + query);
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('video/mp2t');
    expect(full.headers['cache-control']).toBe('private, max-age=3600, immutable');
    expect(full.headers['last-modified']).toBeTruthy();
    const onDisk = fs.readFileSync(path.join(hlsRoot(), trackA.id, '128k', 'seg_00000.ts'));
    expect(full.rawPayload.equals(onDisk)).toBe(true);
    const again = await request('GET', segmentA + query, { 'if-none-match': String(full.headers.etag) });
    expect(again.statusCode).toBe(304);
    const part = await request('GET', segmentA + query, { range: 'bytes=188-375' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 188-375/${onDisk.length}`);
    expect(part.rawPayload.equals(onDisk.subarray(188, 376))).toBe(true);
  });
});

describe('stream tokens', () => {
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  it('refuses the 8 tampered tokens with 401/403 and no media bytes', async () => {
    const good = tokenOf(infoA.master_url!);
    const infoB = await info(trackB.id);
    const other = tokenOf(infoB.master_url!);
    const [kid, exp, user, sig] = good.split('.') as [string, string, string, string];
    const flipped = Buffer.from(sig, 'base64url');
    flipped[5]! ^= 0x01;
    const segmentB = `/api/v1/tracks/${trackB.id}/hls/128k/seg_00000.ts`;
    const attempts: Array<[string, () => ReturnType<typeof request>]> = [
      ['track A token on another track id', () => request('GET', `${segmentB}?token=${good}`)],
      ['track A token on another path (REST API as bearer)', () => request('GET', `/api/v1/tracks/${trackA.id}/stream`, { authorization: `Bearer ${good}` })],
      ['extended expiry', () => request('GET', `${segmentA}?token=${kid}.${Number(exp) + 3600}.${user}.${sig}`)],
      ['one flipped signature bit', () => request('GET', `${segmentA}?token=${kid}.${exp}.${user}.${flipped.toString('base64url')}`)],
      ['truncated', () => request('GET', `${segmentA}?token=${good.slice(0, -4)}`)],
      ['unknown key id', () => request('GET', `${segmentA}?token=zz9.${exp}.${user}.${sig}`)],
      ["another track's token", () => request('GET', `${segmentA}?token=${other}`)],
      ['no token', () => request('GET', segmentA)],
    ];
    expect(attempts).toHaveLength(8);
    for (const [name, attempt] of attempts) {
      const res = await attempt();
      expect([401, 403], name).toContain(res.statusCode);
      expect(res.headers['content-type'], name).toContain('application/problem+json');
      expect(res.rawPayload.includes(Buffer.from([0x47, 0x40])), name).toBe(false); // no MPEG-TS sync + PID header
    }
  });

  it('expires with the injected clock: 200 at expiry − 1 s, 401 at expiry + 1 s', async () => {
    clockMs = Date.now();
    try {
      const fresh = await info(trackA.id);
      const url = `${segmentA}?token=${tokenOf(fresh.master_url!)}`;
      clockMs = (fresh.expires_at! - 1) * 1000;
      expect((await request('GET', url)).statusCode).toBe(200);
      clockMs = (fresh.expires_at! + 1) * 1000;
      const late = await request('GET', url);
      expect(late.statusCode).toBe(401);
      expect(late.json().code).toBe('INVALID_TOKEN');
      expect(fresh.expires_at! - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(3599);
    } finally {
      clockMs = null;
    }
  });
});

describe('strict paths', () => {
  it('refuses 12 traversal payloads with 4xx and opens nothing outside the HLS dir', async () => {
    const query = `?token=${new URL(infoA.master_url!).searchParams.get('token')}`;
    const rungDir = path.join(hlsRoot(), trackA.id, '128k');
    fs.symlinkSync('/etc/passwd', path.join(rungDir, 'seg_00099.ts'));
    const base = `/api/v1/tracks/${trackA.id}/hls/128k/`;
    // The symlink above is a valid segment name whose target lies outside: realpath containment refuses it.
    const payloads = [...TRAVERSAL_PAYLOADS, 'seg_00099.ts'];
    expect(payloads).toHaveLength(12);
    opened.length = 0;
    for (const payload of payloads) {
      const res = await request('GET', base + payload + query);
      expect(res.statusCode, payload).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, payload).toBeLessThan(500);
      expect(res.body, payload).not.toContain('root:');
    }
    expect(opened.every((file) => file.startsWith(hlsRoot() + path.sep))).toBe(true);
    expect(opened).toEqual([]);
    fs.rmSync(path.join(rungDir, 'seg_00099.ts'));
  });

  it('refuses a quality that is not one of the track rungs', async () => {
    const query = `?token=${new URL(infoA.master_url!).searchParams.get('token')}`;
    for (const quality of ['999k', '64k', 'x', '128K']) {
      const res = await request('GET', `/api/v1/tracks/${trackA.id}/hls/${quality}/playlist.m3u8${query}`);
      expect(res.statusCode, quality).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, quality).toBeLessThan(500);
    }
  });
});

describe('cache freshness', () => {
  it('serves the new bytes after a re-transcode and nothing after a delete', { timeout: 90_000 }, async () => {
    const track = await uploadReady(4, 'fresh.wav');
    const query = `?token=${new URL((await info(track.id)).master_url!).searchParams.get('token')}`;
    const url = `/api/v1/tracks/${track.id}/hls/128k/seg_00000.ts${query}`;
    const before = (await request('GET', url)).rawPayload;
    // Different audio under the same track id, then a re-transcode.
    const louder = makeAudio(fixtures, 'other.wav', { seconds: 4, frequency: 880, codecArgs: AUDIO_FORMATS.wav });
    fs.copyFileSync(louder, path.join(dataDir, 'media', 'originals', track.id));
    expect((await request('POST', `/api/v1/tracks/${track.id}/hls/transcode`, auth())).statusCode).toBe(202);
    await waitFor(async () => (await request('GET', `/api/v1/tracks/${track.id}/hls/status`, auth())).json().status === 'ready', { timeoutMs: 60_000, what: 'ready again' });
    const after = (await request('GET', url)).rawPayload;
    const onDisk = fs.readFileSync(path.join(hlsRoot(), track.id, '128k', 'seg_00000.ts'));
    expect(after.equals(before)).toBe(false);
    expect(after.equals(onDisk)).toBe(true);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tracks/${track.id}`, headers: { host, ...auth() } })).statusCode).toBe(204);
    expect((await request('GET', url)).statusCode).toBe(404);
  });
});

describe('VEZA_HLS=false', () => {
  it('removes the HLS routes and uploads skip transcoding', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-nohls-'));
    const off = await buildApp(loadConfig({ VEZA_DATA_DIR: dir, VEZA_PORT: '4873', VEZA_LOG_LEVEL: 'silent', VEZA_HLS: 'false' }));
    try {
      await off.ready();
      const owner = await off.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'o' });
      const headers = { host: '127.0.0.1:4873', authorization: `Bearer ${owner}` };
      const body = multipartBody([{ name: 'file', fileName: 'x.wav', content: fs.readFileSync(makeAudio(fixtures, 'x.wav', { seconds: 2, codecArgs: AUDIO_FORMATS.wav })) }]);
      const created = await off.inject({ method: 'POST', url: '/api/v1/tracks', headers: { ...headers, 'content-type': body.contentType }, payload: body.payload });
      expect(created.statusCode).toBe(201);
      const track = created.json<Track>();
      expect(track).toMatchObject({ stream_status: 'pending', stream_manifest_url: null });
      for (const url of [`/api/v1/tracks/${track.id}/hls/info`, `/api/v1/tracks/${track.id}/hls/status`, `/api/v1/tracks/${track.id}/hls/master.m3u8`]) {
        expect((await off.inject({ method: 'GET', url, headers })).statusCode, url).toBe(404);
      }
      expect((await off.inject({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream`, headers })).statusCode).toBe(200);
      expect(fs.readdirSync(path.join(dir, 'media', 'hls'))).toEqual([]);
    } finally {
      await off.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
