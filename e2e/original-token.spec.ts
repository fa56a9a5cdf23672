/**
 * A long listen of the original outlives its stream token: the next Range request gets 401, and the
 * player fetches a fresh URL and carries on from the same position. The token lives 2 s here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures.js';
import { audioTime, makeWav, probeFeatures, requireFeatures, seekAudio, signIn, uploadViaApi } from './support/veza.js';

test.use({ serverEnv: { VEZA_HLS: 'false', VEZA_STREAM_TOKEN_TTL_S: '2' } });

test('the original keeps playing after its stream token expires', async ({ page, server }, testInfo) => {
  test.setTimeout(120_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks']);
  // 10 minutes of WAV (115 MB): far more than the browser buffers ahead, so a seek needs a new request.
  const wav = makeWav(path.join(os.tmpdir(), 'veza-e2e-audio'), 'Long Original.wav', 600, 220);
  try {
    await uploadViaApi(server.url, server.ownerToken, wav, 'Long Original');
  } finally {
    fs.rmSync(wav);
  }
  const refused: string[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/stream?token=') && response.status() === 401) refused.push(response.url());
  });
  await signIn(page, server.url, server.ownerToken);
  const row = page.getByRole('listitem').filter({ hasText: 'Long Original' });
  await row.getByRole('button', { name: /^Play / }).click();
  const player = page.getByRole('contentinfo', { name: 'Player' });
  await expect(player).toHaveAttribute('data-mode', 'original');
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(0.5);
  // Let the token lapse, then jump far ahead, past anything buffered.
  await page.waitForTimeout(3_000);
  await seekAudio(page, 500);
  await expect.poll(() => audioTime(page), { timeout: 30_000 }).toBeGreaterThan(501);
  expect(refused.length, 'the expired token was refused at least once').toBeGreaterThan(0);
  await expect(player).not.toHaveAttribute('data-status', 'error');
});
