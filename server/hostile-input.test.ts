import Fastify from 'fastify';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Track } from '../src/shared/api.js';
import { makeTestApp, type TestApp } from '../test/support/app.js';
import { makeAudio, multipartBody } from '../test/support/audio.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { openDatabase } from './infra/db/database.js';
import { errors } from './infra/errors.js';
import pino from 'pino';

// Text arrives from strangers: every name and title is checked at the boundary, in both dialects
// (PostgreSQL refuses NUL bytes with an error; SQLite would store them).
const NUL = '\u0000';
const RLO = '\u202e';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`hostile text and bodies [${dialect}]`, () => {
    let t: TestApp;
    let token: string;
    let fixtures: string;
    let song: Buffer;
    const auth = () => ({ authorization: `Bearer ${token}` });
    const uploadsInProgress = () => fs.readdirSync(path.join(t.config.dataDir, 'media', 'tmp'));

    beforeAll(async () => {
      fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-hostile-'));
      song = fs.readFileSync(makeAudio(fixtures, 'song.wav', { seconds: 1 }));
      const env: Record<string, string> = { VEZA_ALLOW_SIGNUP: 'true' };
      if (dialect === 'postgres') env.VEZA_DATABASE_URL = await createTestDatabase(inject('postgresUrl'));
      t = await makeTestApp(env);
      token = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
    });
    afterAll(async () => {
      await t?.close();
      fs.rmSync(fixtures, { recursive: true, force: true });
    });

    const json = (method: 'POST' | 'PATCH', url: string, payload: object, headers = {}) =>
      t.request({ method, url, payload, headers: { 'content-type': 'application/json', ...headers } });

    const upload = (fields: Record<string, string>) => {
      const body = multipartBody([...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', fileName: 'song.wav', content: song }]);
      return t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': body.contentType }, payload: body.payload });
    };

    it('a NUL in a login name is a 400 naming the field, before anyone signs in', async () => {
      const res = await json('POST', '/api/v1/auth/login', { username: `ali${NUL}ce`, password: 'whatever-it-is' });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'username may not contain control characters or bidirectional overrides' });
    });

    it('register refuses control characters and bidi overrides in display names, and stores names in NFC', async () => {
      for (const display_name of [`Al${NUL}ice`, `Alice\u0007`, `evil${RLO}vaw.exe`, `line\nbreak`]) {
        const res = await json('POST', '/api/v1/auth/register', { username: 'alice', password: 'correct horse', display_name });
        expect(res.statusCode, display_name).toBe(400);
        expect(res.json().detail).toMatch(/^display_name may not contain control characters/);
      }
      const res = await json('POST', '/api/v1/auth/register', { username: 'zoe', password: 'correct horse', display_name: 'Zoe\u0301' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().user.display_name).toBe('Zoé');
    });

    it('track titles: PATCH and the multipart fields refuse NUL and overrides, keep nothing, and store NFC', async () => {
      const created = await upload({ title: 'Cafe\u0301', artist: ' Ana ' });
      expect(created.statusCode, created.body).toBe(201);
      const track = created.json<Track>();
      expect(track).toMatchObject({ title: 'Café', artist: 'Ana' });

      for (const title of [`x${NUL}y`, `x${RLO}y`]) {
        const patched = await json('PATCH', `/api/v1/tracks/${track.id}`, { title }, auth());
        expect(patched.statusCode, patched.body).toBe(400);
        expect(patched.json().detail).toMatch(/^title may not contain control characters/);

        const refused = await upload({ title });
        expect(refused.statusCode, refused.body).toBe(400);
        expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'title may not contain control characters or bidirectional overrides' });
      }
      expect((await json('PATCH', `/api/v1/tracks/${track.id}`, { artist: '   ' }, auth())).statusCode).toBe(400);
      const renamed = await json('PATCH', `/api/v1/tracks/${track.id}`, { artist: 'Bjo\u0308rk' }, auth());
      expect(renamed.json<Track>().artist).toBe('Björk');
      const list = (await t.request({ method: 'GET', url: '/api/v1/tracks', headers: auth() })).json<{ tracks: Track[] }>();
      expect(list.tracks.map((item) => item.title)).toEqual(['Café']);
      expect(uploadsInProgress()).toEqual([]);
    });

    it("a file's own tags with control characters become readable text instead of a refusal", async () => {
      const tagged = fs.readFileSync(makeAudio(fixtures, 'tagged.flac', { seconds: 1, tags: { title: 'Two\u0001Words', artist: 'Ana\u001b[31m' } }));
      const body = multipartBody([{ name: 'file', fileName: 'tagged.flac', content: tagged }]);
      const res = await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': body.contentType }, payload: body.payload });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Track>()).toMatchObject({ title: 'Two Words', artist: 'Ana [31m' });
    });

    it('a decompression bomb (an hour of FLAC silence in a few KB) is refused with 415, and nothing is kept', async () => {
      const originals = () => fs.readdirSync(path.join(t.config.mediaDir, 'originals')).length;
      const kept = originals();
      const bomb = path.join(fixtures, 'bomb.flac');
      execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '3600', '-c:a', 'flac', '-frame_size', '32768', '-compression_level', '0', bomb]);
      expect(fs.statSync(bomb).size).toBeLessThan(100_000);
      const body = multipartBody([{ name: 'file', fileName: 'bomb.flac', content: fs.readFileSync(bomb) }]);
      const res = await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': body.contentType }, payload: body.payload });
      expect(res.statusCode, res.body).toBe(415);
      expect(res.json().detail).toMatch(/^The file decodes to 1\.0 h of audio from \d+ KB/);
      expect(uploadsInProgress()).toEqual([]);
      expect(originals()).toBe(kept);
    });

    it.each([
      ['12 hours of audio', 1, 12 * 3600, /12\.0 h of your audio is already waiting/],
      ['50 tracks', 50, 1, /^5\d of your tracks are already waiting to be transcoded \(at most 50\)/],
    ] as const)('a user with %s already in the queue is told to wait before the body is read', async (_case, count, durationS, message) => {
      const { db } = t.app.db;
      const owner = (await db.selectFrom('users').select('id').where('username', '=', 'owner').executeTakeFirstOrThrow()).id;
      const at = new Date().toISOString();
      const ids = Array.from({ length: count }, () => randomUUID());
      // Encodes that hold this user's queue (running on some instance, their leases far ahead).
      for (const id of ids) {
        await db.insertInto('tracks').values({ id, owner_id: owner, title: 'queued', artist: 'a', duration_s: durationS, demuxer: 'wav', codec: 'pcm_s16le', bit_rate: null, sample_rate: 44100, channels: 2, size_bytes: 1, created_at: at, updated_at: at }).execute();
        await db.insertInto('transcode_jobs').values({ id: randomUUID(), track_id: id, status: 'processing', progress: 1, attempts: 1, error: null, rungs: null, lease_expires_at: new Date(Date.now() + 3600_000).toISOString(), created_at: at, updated_at: at }).execute();
      }
      try {
        const res = await upload({});
        expect(res.statusCode, res.body).toBe(429);
        expect(res.json().detail).toMatch(message);
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      } finally {
        await db.deleteFrom('tracks').where('id', 'in', ids).execute();
      }
      expect((await upload({})).statusCode).toBe(201);
    });

    it('malformed multipart (no boundary, a body that ends early) is a 400 and leaves no file behind', async () => {
      const noBoundary = await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': 'multipart/form-data' }, payload: 'hello' });
      expect(noBoundary.statusCode, noBoundary.body).toBe(400);
      expect(noBoundary.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(noBoundary.json().detail).toMatch(/multipart/);

      const whole = multipartBody([{ name: 'file', fileName: 'song.wav', content: song }]);
      const cut = await t.request({
        method: 'POST',
        url: '/api/v1/tracks',
        headers: { ...auth(), 'content-type': whole.contentType },
        payload: whole.payload.subarray(0, Math.floor(whole.payload.length / 2)),
      });
      expect(cut.statusCode, cut.body).toBe(400);
      expect(cut.json().code).toBe('VALIDATION_FAILED');
      expect(uploadsInProgress()).toEqual([]);
      expect((await t.request({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
    });
  });
}

it('a text the database cannot store still answers 400, never 500 (a real PostgreSQL encoding error)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-hostile-pg-'));
  const database = await openDatabase({ url: await createTestDatabase(inject('postgresUrl')), sqlitePath: path.join(dir, 'unused.db'), log: pino({ level: 'silent' }) });
  const app = Fastify({ logger: false });
  await app.register(errors);
  app.get('/echo', async () => sql`select ${`a${NUL}b`}::text as text`.execute(database.db));
  try {
    const res = await app.inject({ method: 'GET', url: '/echo' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'The text contains characters that cannot be stored' });
  } finally {
    await app.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
