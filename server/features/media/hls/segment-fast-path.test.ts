/**
 * The segment fast path lives on the raw http server, so these tests speak real HTTP to a listening
 * app; `app.inject` goes straight to Fastify and serves as the reference for what the route answers.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HlsInfo, Track } from '../../../../src/shared/api.js';
import { AUDIO_FORMATS, makeAudio } from '../../../../test/support/audio.js';
import { waitFor } from '../../../../test/support/free-port.js';
import { type HlsTestApp, startHlsTestApp, TRAVERSAL_PAYLOADS } from '../../../../test/support/tracks.js';
import type { App } from '../../../app.js';

let env: HlsTestApp;
let app: App;
let dataDir: string;
let fixtures: string;
let port: number;
let host: string;
let ownerToken: string;
let clockMs: number | null = null;
let opened: string[];
const logLines: string[] = [];
const auth = () => ({ authorization: `Bearer ${ownerToken}` });
const TS_SYNC = Buffer.from([0x47, 0x40]); // MPEG-TS sync byte + PID header of the first packet

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One GET over a real socket; the path goes out exactly as written (no client-side normalising). */
function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathAndQuery, method: 'GET', headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fastHits(): Promise<number> {
  const metric = await app.metrics.getSingleMetric('veza_hls_segment_fast_path_total')!.get();
  return metric.values[0]?.value ?? 0;
}

const uploadReady = (seconds: number, name: string) => env.uploadReady(seconds, name);

async function streamToken(trackId: string): Promise<string> {
  const info = (await app.inject({ method: 'GET', url: `/api/v1/tracks/${trackId}/hls/info`, headers: { host, ...auth() } })).json<HlsInfo>();
  return new URL(info.master_url!).searchParams.get('token')!;
}

const segmentPath = (trackId: string, name = 'seg_00000.ts', quality = '128k') => `/api/v1/tracks/${trackId}/hls/${quality}/${name}`;
const onDisk = (trackId: string, name = 'seg_00000.ts') => fs.readFileSync(path.join(dataDir, 'media', 'hls', trackId, '128k', name));

/** GETs until the fast path answers (the first request of a segment fills the cache through the route). */
async function warm(url: string): Promise<RawResponse> {
  await get(url);
  const before = await fastHits();
  const res = await get(url);
  expect(await fastHits()).toBe(before + 1);
  return res;
}

let track: Track;
let other: Track;
let token: string;

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  env = await startHlsTestApp('fast', { logLevel: 'info', logStream, now: () => clockMs ?? Date.now() });
  ({ app, dataDir, fixtures, port, host, opened, ownerToken } = env);
  [track, other] = await Promise.all([uploadReady(13, 'a.wav'), uploadReady(4, 'b.wav')]);
  token = await streamToken(track.id);
}, 120_000);

afterAll(() => env?.close());

describe('segment fast path', () => {
  it('answers a cached segment with the bytes and headers of the Fastify route, without opening a file', async () => {
    const url = `${segmentPath(track.id, 'seg_00001.ts')}?token=${token}`;
    const before = await fastHits();
    opened.length = 0;
    const viaRoute = await get(url);
    expect(await fastHits()).toBe(before);
    expect(opened).toHaveLength(1);
    const viaFastPath = await get(url);
    expect(await fastHits()).toBe(before + 1);
    expect(opened).toHaveLength(1);

    expect(viaFastPath.status).toBe(200);
    expect(viaFastPath.body.equals(onDisk(track.id, 'seg_00001.ts'))).toBe(true);
    expect(viaFastPath.body.equals(viaRoute.body)).toBe(true);
    const comparable = (headers: http.IncomingHttpHeaders) => {
      const { date, 'x-request-id': requestId, ...rest } = headers;
      expect(date).toBeTruthy();
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      return rest;
    };
    expect(comparable(viaFastPath.headers)).toEqual(comparable(viaRoute.headers));
    expect(viaFastPath.headers).toMatchObject({
      'content-type': 'video/mp2t',
      'cache-control': 'private, max-age=3600, immutable',
      'accept-ranges': 'bytes',
      'content-length': String(viaFastPath.body.length),
      'x-content-type-options': 'nosniff',
    });
    expect(viaFastPath.headers['x-request-id']).not.toBe(viaRoute.headers['x-request-id']);
  });

  it('counts its hits in the request histogram under the route and logs them with the token redacted', async () => {
    const url = `${segmentPath(track.id, 'seg_00002.ts')}?token=${token}`;
    const histogramCount = async () => {
      const metric = await app.metrics.getSingleMetric('veza_http_request_duration_seconds')!.get();
      return metric.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.route === '/api/v1/tracks/:id/hls/:quality/:segment' && v.labels.status === 200)?.value ?? 0;
    };
    await get(url);
    const before = await histogramCount();
    const hitsBefore = await fastHits();
    logLines.length = 0;
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(await fastHits()).toBe(hitsBefore + 1);
    expect(await histogramCount()).toBe(before + 1);
    const completed = logLines.map((line) => JSON.parse(line) as { msg: string; req?: { url: string }; res?: { statusCode: number } }).filter((line) => line.msg === 'request completed');
    expect(completed.at(-1)).toMatchObject({ req: { url: `${segmentPath(track.id, 'seg_00002.ts')}?token=[redacted]` }, res: { statusCode: 200 } });
    expect(logLines.join('')).not.toContain(token);
  });

  it('leaves Range, If-None-Match and odd spellings to the route, which answers them as before', async () => {
    const url = `${segmentPath(track.id)}?token=${token}`;
    const full = await warm(url);
    const before = await fastHits();
    const part = await get(url, { range: 'bytes=188-375' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 188-375/${full.body.length}`);
    expect(part.body.equals(full.body.subarray(188, 376))).toBe(true);
    expect((await get(url, { range: 'bytes=999999-' })).status).toBe(416);
    expect((await get(url, { 'if-none-match': String(full.headers.etag) })).status).toBe(304);
    // Same segment, other spellings: upper-case id, percent-encoded name, a second query parameter.
    for (const odd of [`${segmentPath(track.id.toUpperCase())}?token=${token}`, `${segmentPath(track.id, 'seg_0000%30.ts')}?token=${token}`, `${url}&x=1`]) {
      const res = await get(odd);
      const reference = await app.inject({ method: 'GET', url: odd, headers: { host } });
      expect(res.status, odd).toBe(reference.statusCode);
    }
    expect(await fastHits()).toBe(before);
  });

  it('every refusal is the route refusal: same status and problem JSON, no media bytes', async () => {
    const url = segmentPath(track.id);
    await warm(`${url}?token=${token}`);
    const [kid, exp, user, sig] = token.split('.') as [string, string, string, string];
    const flipped = Buffer.from(sig, 'base64url');
    flipped[3]! ^= 0x10;
    const otherToken = await streamToken(other.id);
    const query = `?token=${token}`;
    const base = `/api/v1/tracks/${track.id}/hls/128k/`;
    const cases: Array<[string, string, Record<string, string>?]> = [
      ['no token', url],
      ['empty token', `${url}?token=`],
      ['flipped signature bit', `${url}?token=${kid}.${exp}.${user}.${flipped.toString('base64url')}`],
      ['extended expiry', `${url}?token=${kid}.${Number(exp) + 3600}.${user}.${sig}`],
      ['truncated', `${url}?token=${token.slice(0, -3)}`],
      ['unknown key id', `${url}?token=zz9.${exp}.${user}.${sig}`],
      ["another track's token", `${url}?token=${otherToken}`],
      ['this token on another track', `${segmentPath(other.id)}${query}`],
      ['wrong Host', `${url}${query}`, { host: 'evil.test' }],
      ['alternative loopback spelling', `${url}${query}`, { host: `2130706433:${port}` }],
      ['quality that is not a rung', `${segmentPath(track.id, 'seg_00000.ts', '999k')}${query}`],
      ['quality of the wrong case', `${segmentPath(track.id, 'seg_00000.ts', '128K')}${query}`],
      ['segment name off the pattern', `${segmentPath(track.id, 'seg_0.ts')}${query}`],
      ['segment that does not exist', `${segmentPath(track.id, 'seg_09999.ts')}${query}`],
      ['unknown track', `${segmentPath('00000000-0000-4000-8000-000000000000')}${query}`],
      ...TRAVERSAL_PAYLOADS.map((payload): [string, string] => [`traversal ${payload.slice(0, 30)}`, base + payload + query]),
    ];
    const before = await fastHits();
    opened.length = 0;
    for (const [name, target, headers = {}] of cases) {
      const res = await get(target, headers);
      const reference = await app.inject({ method: 'GET', url: target, headers: { host, ...headers } });
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      expect(res.status, name).toBe(reference.statusCode);
      expect(res.headers['content-type'], name).toBe(reference.headers['content-type']);
      if (String(reference.headers['content-type']).startsWith('application/problem+json')) {
        // inject() resolves `../` in the URL before routing; the "No route for <path>" detail shows it.
        const withoutPath = (problem: { detail: string }) => ({ ...problem, detail: problem.detail.replace(/^No route for .*/, 'No route for …') });
        expect(withoutPath(JSON.parse(res.body.toString()) as { detail: string }), name).toEqual(withoutPath(reference.json()));
      }
      expect(res.body.includes(TS_SYNC), name).toBe(false);
    }
    expect(await fastHits()).toBe(before);
    expect(opened.filter((file) => !file.startsWith(path.join(dataDir, 'media', 'hls') + path.sep))).toEqual([]);
  });

  it('expiry is enforced per request with the injected clock, also for a remembered token', async () => {
    clockMs = Date.now();
    try {
      const fresh = await streamToken(track.id);
      const [, exp] = fresh.split('.') as [string, string];
      const url = `${segmentPath(track.id)}?token=${fresh}`;
      clockMs = (Number(exp) - 1) * 1000;
      expect((await warm(url)).status).toBe(200);
      const before = await fastHits();
      clockMs = (Number(exp) + 1) * 1000;
      const late = await get(url);
      expect(late.status).toBe(401);
      expect(JSON.parse(late.body.toString())).toMatchObject({ code: 'INVALID_TOKEN', detail: 'The stream token has expired' });
      expect(late.body.includes(TS_SYNC)).toBe(false);
      expect(await fastHits()).toBe(before);
    } finally {
      clockMs = null;
    }
  });
});

describe('no stale bytes', () => {
  it('after a re-transcode the fast path serves the new ladder, after a delete nothing', { timeout: 90_000 }, async () => {
    const fresh = await uploadReady(4, 'fresh.wav');
    const url = `${segmentPath(fresh.id)}?token=${await streamToken(fresh.id)}`;
    const before = (await warm(url)).body;
    fs.copyFileSync(makeAudio(fixtures, 'other.wav', { seconds: 4, frequency: 880, codecArgs: AUDIO_FORMATS.wav }), path.join(dataDir, 'media', 'originals', fresh.id));
    expect((await app.inject({ method: 'POST', url: `/api/v1/tracks/${fresh.id}/hls/transcode`, headers: { host, ...auth() } })).statusCode).toBe(202);
    await waitFor(async () => (await app.inject({ method: 'GET', url: `/api/v1/tracks/${fresh.id}/hls/status`, headers: { host, ...auth() } })).json().status === 'ready', { timeoutMs: 60_000, what: 'ready again' });
    const after = await get(url);
    expect(after.body.equals(before)).toBe(false);
    expect(after.body.equals(onDisk(fresh.id))).toBe(true);
    expect((await warm(url)).body.equals(onDisk(fresh.id))).toBe(true);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tracks/${fresh.id}`, headers: { host, ...auth() } })).statusCode).toBe(204);
    const gone = await get(url);
    expect(gone.status).toBe(404);
    expect(gone.body.includes(TS_SYNC)).toBe(false);
  });

  it('a ladder swapped on disk without any event (a lost team broadcast) stops being served within seconds', async () => {
    const url = `${segmentPath(other.id)}?token=${await streamToken(other.id)}`;
    const old = (await warm(url)).body;
    // What another instance's re-transcode does to the shared media dir: a new folder renamed into place.
    const hlsDir = path.join(dataDir, 'media', 'hls');
    const swapped = path.join(hlsDir, `.tmp-${other.id}-test`);
    fs.cpSync(path.join(hlsDir, other.id), swapped, { recursive: true });
    const replacement = Buffer.from(old);
    replacement[200]! ^= 0xff;
    fs.writeFileSync(path.join(swapped, '128k', 'seg_00000.ts'), replacement);
    fs.renameSync(path.join(hlsDir, other.id), path.join(hlsDir, `.old-${other.id}-test`));
    fs.renameSync(swapped, path.join(hlsDir, other.id));
    fs.rmSync(path.join(hlsDir, `.old-${other.id}-test`), { recursive: true });
    await waitFor(async () => (await get(url)).body.equals(replacement), { timeoutMs: 5000, what: 'the swapped bytes' });
    expect((await warm(url)).body.equals(replacement)).toBe(true);
  });
});
