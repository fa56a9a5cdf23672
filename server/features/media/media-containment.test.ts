import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Track } from '../../../src/shared/api.js';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { makeAudio, multipartBody } from '../../../test/support/audio.js';

// Defence in depth: whoever can write into the media dir (a shared team volume) must not be able to
// turn the stream routes into readers of other files through symlinks.
let t: TestApp;
let outside: string;
let song: Buffer;
const auth = () => ({ authorization: `Bearer ${owner}` });
let owner: string;
const SECRET = 'root:x:0:0:secret-line-for-containment-test';

beforeAll(async () => {
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-outside-'));
  fs.writeFileSync(path.join(outside, 'passwd'), `${SECRET}\n`);
  song = fs.readFileSync(makeAudio(outside, 'song.wav', { seconds: 2 }));
  t = await makeTestApp();
  owner = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(outside, { recursive: true, force: true });
});

async function uploadReady(): Promise<Track> {
  const body = multipartBody([{ name: 'file', fileName: 'song.wav', content: song }]);
  const created = (await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth(), 'content-type': body.contentType }, payload: body.payload })).json<Track>();
  await expect
    .poll(async () => (await t.request({ method: 'GET', url: `/api/v1/tracks/${created.id}`, headers: auth() })).json<Track>().stream_status, { timeout: 30_000 })
    .toBe('ready');
  return created;
}

const mediaPath = (...parts: string[]) => path.join(t.config.mediaDir, ...parts);

it('an original replaced by a symlink to a file elsewhere is neither served nor transcoded', { timeout: 40_000 }, async () => {
  const track = await uploadReady();
  const { url } = (await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/stream-url`, headers: auth() })).json<{ url: string }>();
  expect((await t.request({ method: 'GET', url })).statusCode).toBe(200);

  fs.rmSync(mediaPath('originals', track.id));
  fs.symlinkSync(path.join(outside, 'passwd'), mediaPath('originals', track.id));
  const res = await t.request({ method: 'GET', url });
  expect(res.statusCode).toBe(404);
  expect(res.body).not.toContain('secret-line');

  // Nor is it handed to FFmpeg: a re-transcode fails with a clear reason.
  expect((await t.request({ method: 'POST', url: `/api/v1/tracks/${track.id}/hls/transcode`, headers: auth() })).statusCode).toBe(202);
  await expect.poll(async () => (await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}`, headers: auth() })).json<Track>().stream_status, { timeout: 10_000 }).toBe('failed');
  const failed = (await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}`, headers: auth() })).json<Track>();
  expect(failed.stream_error).toBe('The original file is missing or is not a regular file in the media dir');
});

it('a track folder replaced by a symlink to a folder elsewhere is not served, even with every file inside it', { timeout: 40_000 }, async () => {
  const track = await uploadReady();
  const elsewhere = path.join(outside, `ladder-${track.id}`);
  fs.renameSync(mediaPath('hls', track.id), elsewhere);
  fs.symlinkSync(elsewhere, mediaPath('hls', track.id));
  const { master_url } = (await t.request({ method: 'GET', url: `/api/v1/tracks/${track.id}/hls/info`, headers: auth() })).json<{ master_url: string }>();
  const master = await t.request({ method: 'GET', url: new URL(master_url).pathname + new URL(master_url).search });
  expect(master.statusCode).toBe(403);
  expect(master.json().code).toBe('FORBIDDEN');
});
