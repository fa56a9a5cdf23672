import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { makeAudio, multipartBody } from '../../../test/support/audio.js';

// Passwords hash on libuv's thread pool, which file reads share: a flood of sign-ins with unknown
// usernames (each a full scrypt) must not stall everyone's playback.
let t: TestApp;
let fixtures: string;
let streamUrl: string;

beforeAll(async () => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-login-flood-'));
  t = await makeTestApp({ VEZA_HLS: 'false' });
  const owner = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  const auth = { authorization: `Bearer ${owner}` };
  const body = multipartBody([{ name: 'file', fileName: 'long.wav', content: fs.readFileSync(makeAudio(fixtures, 'long.wav', { seconds: 20 })) }]);
  const created = await t.request({ method: 'POST', url: '/api/v1/tracks', headers: { ...auth, 'content-type': body.contentType }, payload: body.payload });
  const id = created.json<{ id: string }>().id;
  streamUrl = (await t.request({ method: 'GET', url: `/api/v1/tracks/${id}/stream-url`, headers: auth })).json<{ url: string }>().url;
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(fixtures, { recursive: true, force: true });
});

async function timedRangeRead(offset: number): Promise<number> {
  const started = performance.now();
  const res = await t.request({ method: 'GET', url: streamUrl, headers: { range: `bytes=${offset}-${offset + 262_143}` } });
  expect(res.statusCode).toBe(206);
  expect(res.rawPayload.length).toBe(262_144);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function readsWhile(isBusy: () => boolean, minimum: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; times.length < minimum || (isBusy() && times.length < 200); i += 1) times.push(await timedRangeRead((i % 10) * 262_144));
  return times;
}

it('120 concurrent sign-ins with unknown names leave every Range read of the original within 100x of an idle one', { timeout: 60_000 }, async () => {
  const idle = median(await readsWhile(() => false, 15));

  let flooding = true;
  const flood = Promise.all(
    Array.from({ length: 120 }, (_, i) =>
      t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: `ghost-${i}-${Math.random()}`, password: 'not a password' }, remoteAddress: `10.0.${i >> 8}.${i & 255}` }),
    ),
  ).finally(() => (flooding = false));
  const underFlood = await readsWhile(() => flooding, 15);
  const answers = await flood;

  // The worst read is the one that matters: without a bound, the first read waits for the whole flood.
  const worst = Math.max(...underFlood);
  console.log(`Range read: idle median ${idle.toFixed(1)} ms; under the login flood median ${median(underFlood).toFixed(1)} ms, worst ${worst.toFixed(0)} ms (${(worst / idle).toFixed(1)}x idle)`);
  // Unbounded, the worst read here took over 1,000x idle (8 s); bounded, ~30x (the event loop parsing 120 requests).
  expect(worst / idle).toBeLessThan(100);
  // Every sign-in got an answer: wrong credentials, or a "busy, retry" with Retry-After — never a 500.
  for (const answer of answers) {
    expect([401, 429]).toContain(answer.statusCode);
    if (answer.statusCode === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  expect(answers.filter((answer) => answer.statusCode === 401).length).toBeGreaterThan(0);
});
