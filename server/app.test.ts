import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestApp, TEST_HOST, type TestApp } from '../test/support/app.js';
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
