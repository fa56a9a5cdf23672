/** A server without HLS (VEZA_HLS=false): the player plays the original through /stream. */
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures.js';
import { audioTime, makeWav, probeFeatures, requireFeatures, signIn } from './support/veza.js';

test.use({ serverEnv: { VEZA_HLS: 'false' } });

test('a track without HLS plays through the fallback, with no quality selector', async ({ page, server }, testInfo) => {
  test.setTimeout(90_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks']);
  await signIn(page, server.url, server.ownerToken);
  const wav = makeWav(path.join(os.tmpdir(), 'veza-e2e-audio'), 'Plain Original.wav', 12, 330);
  await page.getByLabel('Choose audio files').setInputFiles(wav);
  const row = page.getByRole('listitem').filter({ hasText: 'Plain Original' });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.getByRole('button', { name: /^Play / }).click();
  const player = page.getByRole('contentinfo', { name: 'Player' });
  await expect(player).toHaveAttribute('data-mode', 'original');
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(1);
  await expect(page.getByRole('radiogroup', { name: 'Stream quality' })).toHaveCount(0);
  // Keyboard: → jumps ahead 5 s.
  const before = await audioTime(page);
  await page.locator('body').press('ArrowRight');
  await expect.poll(() => audioTime(page)).toBeGreaterThan(before + 3);
});
