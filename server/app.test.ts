import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestApp, TEST_HOST, type TestApp } from '../test/support/app.js';
import { makeAudio, multipartBody } from '../test/support/audio.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startRedis } from '../test/support/redis.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

describe('accounts over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ VEZA_ALLOW_SIGNUP: 'true' });
  });
  afterAll(() => t.close());

  it('register → login → me', async () => {
    const registered = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'Mira', password: 'long enough pw' } });
    expect(registered.statusCode).toBe(201);
    expect(registered.json().user).toMatchObject({ username: 'mira', display_name: 'mira' });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'mira', password: 'long enough pw' } });
    expect(login.statusCode).toBe(200);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.json().token}` } });
    expect(me.json()).toEqual(registered.json().user);
  });

  it('wrong password → 401 problem; duplicate username → 409; reserved owner name → 409', async () => {
    await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'noor', password: 'long enough pw' } });
    const wrong = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'noor', password: 'not the one' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json()).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS', title: 'Unauthorized' });
    const again = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'NOOR', password: 'long enough pw' } });
    expect(again.statusCode).toBe(409);
    const owner = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'owner', password: 'long enough pw' } });
    expect(owner.statusCode).toBe(409);
  });

  it('locks a username after 10 failed logins in the window', async () => {
    await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'zed', password: 'long enough pw' } });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      const response = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'zed', password: `guess-${i}` } });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('a lock holds one (address, username) pair: the owner signs in from elsewhere, and every 429 says when to retry', async () => {
    await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'yara', password: 'long enough pw' } });
    const login = (password: string, remoteAddress: string) =>
      t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'yara', password }, remoteAddress });
    for (let i = 0; i < 10; i += 1) expect((await login(`guess-${i}`, '198.51.100.7')).statusCode).toBe(401);
    const locked = await login('long enough pw', '198.51.100.7');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect((await login('long enough pw', '203.0.113.9')).statusCode).toBe(200);
  });

  it('sign-in limits key on the forwarded client only behind a trusted proxy; anyone else cannot pick an address', async () => {
    const guess = (app: TestApp, forwardedFor: string, username: string) =>
      app.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'wrong-guess' }, remoteAddress: '203.0.113.50', headers: { 'x-forwarded-for': forwardedFor } });
    // Untrusted: a new X-Forwarded-For per guess changes nothing, the 11th is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) statuses.push((await guess(t, `198.51.100.${i}`, 'spoofer')).statusCode);
    expect(statuses.at(-1)).toBe(429);

    const proxied = await makeTestApp({ VEZA_TRUSTED_PROXIES: '203.0.113.50' });
    try {
      for (let i = 0; i < 10; i += 1) expect((await guess(proxied, '198.51.100.1', 'proxied')).statusCode).toBe(401);
      expect((await guess(proxied, '198.51.100.1', 'proxied')).statusCode).toBe(429);
      expect((await guess(proxied, '198.51.100.2', 'proxied')).statusCode).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('successful sign-ins never count towards a lock', async () => {
    await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'ines', password: 'long enough pw' } });
    const login = (password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ines', password }, remoteAddress: '198.51.100.8' });
    for (let i = 0; i < 12; i += 1) expect((await login('long enough pw')).statusCode).toBe(200);
    for (let i = 0; i < 10; i += 1) expect((await login(`guess-${i}`)).statusCode).toBe(401);
    expect((await login('long enough pw')).statusCode).toBe(429);
  });

  it('one address is throttled across usernames (30 attempts a minute), with Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 31; i += 1) {
      last = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: `nobody-${i}`, password: 'x' }, remoteAddress: '198.51.100.9' });
      statuses.push(last.statusCode);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['missing token', undefined],
    ['garbage', 'Bearer x'],
    ['unknown token', `Bearer ${'a'.repeat(43)}`],
    ['wrong scheme', `Basic ${'a'.repeat(43)}`],
  ])('me with %s → 401 INVALID_TOKEN', async (_name, authorization) => {
    const response = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: authorization ? { authorization } : {} });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('INVALID_TOKEN');
  });

  it.each([
    ['short password', { username: 'abc', password: 'short' }],
    ['bad username', { username: '../etc', password: 'long enough pw' }],
    ['extra field', { username: 'abcd', password: 'long enough pw', role: 'owner' }],
    ['not an object', 'just text'],
  ])('register with %s → 400 problem', async (_name, payload) => {
    const response = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload, headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('malformed JSON and oversized bodies get problems, not crashes', async () => {
    const malformed = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    const huge = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: JSON.stringify({ username: 'x', password: 'y'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('unknown routes are 404 problems', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND', type: 'urn:veza:problem:not-found' });
  });

  it('sign-up is closed by default in solo mode', async () => {
    const solo = await makeTestApp();
    try {
      const response = await solo.request({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'someone', password: 'long enough pw' } });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('SIGNUP_CLOSED');
    } finally {
      await solo.close();
    }
  });
});

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(() => t.close());

  it('health reports db, kv and ffmpeg', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', mode: 'solo', checks: { db: { ok: true }, kv: { ok: true }, ffmpeg: { ok: true } } });
  });

  it('a missing FFmpeg degrades health with a clear error but stays 200', async () => {
    const noFfmpeg = await makeTestApp({ VEZA_FFMPEG_PATH: '/nonexistent/ffmpeg' });
    try {
      const response = await noFfmpeg.request({ method: 'GET', url: '/api/v1/health' });
      expect(response.statusCode).toBe(200);
      expect(response.json().status).toBe('degraded');
      expect(response.json().checks.ffmpeg.error).toContain('VEZA_FFMPEG_PATH');
    } finally {
      await noFfmpeg.close();
    }
  });

  it('exposes Prometheus metrics with route labels, never raw URLs', async () => {
    await t.request({ method: 'GET', url: '/api/v1/health?token=secret-in-url' });
    const response = await t.request({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('veza_http_request_duration_seconds_count{method="GET",route="/api/v1/health",status="200"}');
    expect(response.body).toContain('veza_process_cpu_seconds_total');
    expect(response.body).not.toContain('secret-in-url');
  });

  it('serves metrics to loopback clients only, unless a metrics token is configured', async () => {
    expect((await t.request({ method: 'GET', url: '/metrics', remoteAddress: '198.51.100.20' })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': '198.51.100.20' } })).statusCode).toBe(403);
    const withToken = await makeTestApp({}, { metricsToken: 'scrape-me' });
    try {
      const scrape = (authorization?: string) =>
        withToken.request({ method: 'GET', url: '/metrics', remoteAddress: '198.51.100.20', headers: authorization ? { authorization } : {} });
      expect((await scrape()).statusCode).toBe(401);
      expect((await scrape('Bearer scrape-mE')).statusCode).toBe(401);
      expect((await scrape('Bearer scrape-me')).statusCode).toBe(200);
    } finally {
      await withToken.close();
    }
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/health', '/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/auth/me']));
    expect(doc.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
  });

  it('echoes a request id', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'abc-123' } });
    expect(response.headers['x-request-id']).toBe('abc-123');
  });

  it('replaces a client request id that is not a short word (log injection, unbounded length) with its own', async () => {
    for (const given of ['a"}\u2028{"level":60', 'x'.repeat(65), 'two words', '../../etc']) {
      const response = await t.request({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': given } });
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('logs', () => {
  it('never contain a token or a password', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-log-'));
    const config = loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '4873', VEZA_ALLOW_SIGNUP: 'true', VEZA_LOG_LEVEL: 'trace' });
    const app = await buildApp(config, { logStream: sink });
    try {
      const host = TEST_HOST;
      const registered = await app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { host }, payload: { username: 'logme', password: 'hunter2-hunter2' } });
      const token = registered.json().token as string;
      await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { host, authorization: `Bearer ${token}` } });
      await app.inject({ method: 'GET', url: `/api/v1/health?token=${token}`, headers: { host } });
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { host }, payload: { username: 'logme', password: 'wrong-password-1' } });
      const log = lines.join('');
      expect(log).toContain('"url":"/api/v1/health?token=[redacted]"');
      expect(log).not.toContain(token);
      expect(log).not.toContain('hunter2');
      expect(log).not.toContain('wrong-password-1');
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('logs at trace level', () => {
  it('hold none of the tokens a listen uses, however the query spells their name', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-log-tokens-'));
    const config = loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '4873', VEZA_LOG_LEVEL: 'trace' });
    const app = await buildApp(config, { logStream: sink });
    const secrets: string[] = [];
    const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { host: TEST_HOST, ...headers } });
    try {
      const owner = await app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
      secrets.push(owner);
      const auth = { authorization: `Bearer ${owner}` };
      const body = multipartBody([{ name: 'file', fileName: 'tone.wav', content: fs.readFileSync(makeAudio(dataDir, 'tone.wav', { seconds: 2 })) }]);
      const created = await app.inject({ method: 'POST', url: '/api/v1/tracks', headers: { host: TEST_HOST, ...auth, 'content-type': body.contentType }, payload: body.payload });
      const id = created.json<{ id: string }>().id;

      const { url } = (await get(`/api/v1/tracks/${id}/stream-url`, auth)).json<{ url: string }>();
      const streamToken = new URL(url, 'http://x').searchParams.get('token')!;
      secrets.push(streamToken);
      for (const query of [`token=${streamToken}`, `%74oken=${streamToken}`, `a=b&tok%65n=${streamToken}`, `%54%4f%4b%45%4e=x&token=${streamToken}`]) {
        expect((await get(`/api/v1/tracks/${id}/stream?${query}`, { range: 'bytes=0-99' })).statusCode, query).toBe(206);
      }

      await expect.poll(async () => (await get(`/api/v1/tracks/${id}`, auth)).json<{ stream_status: string }>().stream_status, { timeout: 30_000 }).toBe('ready');
      const session = (await get(`/api/v1/tracks/${id}/hls/info`, auth)).json<{ master_url: string }>();
      const hlsToken = new URL(session.master_url).searchParams.get('token')!;
      secrets.push(hlsToken);
      const master = await get(`/api/v1/tracks/${id}/hls/master.m3u8?t%6Fken=${hlsToken}`);
      expect(master.statusCode).toBe(200);
      const rung = master.body.split('\n').find((line) => line.endsWith(`?token=${hlsToken}`))!;
      const playlist = await get(`/api/v1/tracks/${id}/hls/${rung.replace(`?token=${hlsToken}`, `?%74oken=${hlsToken}`)}`);
      const segment = playlist.body.split('\n').find((line) => line && !line.startsWith('#'))!;
      expect((await get(`/api/v1/tracks/${id}/hls/${rung.split('/')[0]}/${segment}`)).statusCode).toBe(200);

      const log = lines.join('');
      expect(log).toContain('/stream?%74oken=[redacted]');
      for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('stores down', () => {
  it('health answers 503 with problem details when Redis is down, and recovers', async () => {
    const redis = await startRedis();
    const t = await makeTestApp({ VEZA_REDIS_URL: redis.url });
    try {
      expect((await t.request({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
      await redis.pause();
      const down = await t.request({ method: 'GET', url: '/api/v1/health' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'down', checks: { kv: { ok: false }, db: { ok: true } } });
      await redis.start();
      await expect.poll(async () => (await t.request({ method: 'GET', url: '/api/v1/health' })).statusCode, { timeout: 10_000 }).toBe(200);
    } finally {
      await t.close();
      await redis.stop();
    }
  });

  it('runs on PostgreSQL in team mode', async () => {
    const t = await makeTestApp({ VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')) });
    try {
      const response = await t.request({ method: 'GET', url: '/api/v1/health' });
      expect(response.json()).toMatchObject({ status: 'ok', mode: 'team', checks: { db: { ok: true } } });
    } finally {
      await t.close();
    }
  });
});
