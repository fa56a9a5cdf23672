/**
 * Library and player against a real headless server with real FFmpeg: upload with progress,
 * transcoding progress, hls.js playback, the quality selector, ABR under a throttled network.
 */
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures.js';
import { audioTime, makeWav, probeFeatures, requireFeatures, screenshotDir, signIn } from './support/veza.js';

const tmp = path.join(os.tmpdir(), 'veza-e2e-audio');

test.describe.configure({ mode: 'serial' });

test('upload shows upload and transcoding progress, then the track plays through hls.js', async ({ page, server }, testInfo) => {
  test.setTimeout(150_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks', 'hls']);
  // Progress bars can come and go quickly on loopback: record every one that ever appears.
  await page.addInitScript(`
    window.__progressSeen = new Set();
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll('[role=progressbar]')) window.__progressSeen.add(bar.getAttribute('aria-label'));
    }).observe(document, { subtree: true, childList: true, attributes: true });
  `);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, server.url, server.ownerToken);
  await expect(page.getByText('Your library is empty.')).toBeVisible();

  const wav = makeWav(tmp, 'Sine Test.wav', 40);
  await page.getByLabel('Choose audio files').setInputFiles(wav);
  const row = page.getByRole('listitem').filter({ hasText: 'Sine Test' });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByLabel(/Status of/)).toHaveText(/Ready/, { timeout: 120_000 });
  const seen = await page.evaluate(() => [...(globalThis as unknown as { __progressSeen: Set<string> }).__progressSeen]);
  expect(seen).toContain('Uploading Sine Test.wav');
  expect(seen.some((label) => label.startsWith('Transcoding '))).toBe(true);

  await row.getByRole('button', { name: /^Play / }).click();
  const player = page.getByRole('contentinfo', { name: 'Player' });
  await expect(player).toHaveAttribute('data-mode', 'hls.js');
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(1.5);
  await expect(player).toHaveAttribute('data-status', 'playing');

  await page.screenshot({ path: path.join(screenshotDir, 'library.png') });
  await player.screenshot({ path: path.join(screenshotDir, 'player.png') });
});

test('the selector lists 3 levels; pinning 128k fetches 128k segments; throttled, Auto settles on the lowest', async ({ page, server }, testInfo) => {
  test.setTimeout(150_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks', 'hls']);
  await signIn(page, server.url, server.ownerToken);
  const row = page.getByRole('listitem').filter({ hasText: 'Sine Test' });
  await expect(row.getByLabel(/Status of/)).toHaveText(/Ready/, { timeout: 120_000 });
  await row.getByRole('button', { name: /^Play / }).click();

  const levels = page.getByRole('radiogroup', { name: 'Stream quality' }).getByRole('radio');
  await expect(levels).toHaveText(['Auto', '128k', '256k', '320k']);

  const segments: string[] = [];
  page.on('request', (request) => {
    const match = /\/hls\/([^/]+)\/[^/?]+\.(?:ts|m4s|aac|mp4)\b/.exec(request.url());
    if (match) segments.push(match[1]!);
  });
  await page.getByRole('radio', { name: '128k' }).click();
  await expect(page.getByRole('radio', { name: '128k' })).toHaveAttribute('aria-checked', 'true');
  await expect.poll(() => segments.includes('128k'), { timeout: 20_000 }).toBe(true);
  await expect(page.getByLabel('Playing quality')).toHaveAttribute('data-level', '128k', { timeout: 20_000 });
  // The choice survives a reload.
  expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('veza.quality'))).toBe('128k');

  // Auto under ~200 kb/s: hls.js's estimate falls and it settles on the lowest level. A fresh player
  // (reload) starts under the throttle, so no fragment buffered at full speed can hide the switch.
  await page.getByRole('radio', { name: 'Auto' }).click();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: 200_000 / 8, uploadThroughput: 200_000 / 8 });
  await page.reload();
  await row.getByRole('button', { name: /^Play / }).click();
  await expect(page.getByLabel('Playing quality')).toHaveAttribute('data-level', '128k', { timeout: 60_000 });
  await expect(page.getByRole('radio', { name: 'Auto' })).toHaveAttribute('aria-checked', 'true');
  const estimate = await page.getByLabel('Bandwidth estimate').textContent();
  expect(estimate).toMatch(/kb\/s/);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
});

test('hls.js loads with the first HLS track; if its chunk cannot load, the original plays and says why', async ({ page, server }, testInfo) => {
  test.setTimeout(60_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks', 'hls']);
  const scripts: string[] = [];
  page.on('request', (request) => request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname));
  await page.route(/\/assets\/hls-[^/]*\.js$/, (route) => route.abort());
  // This Chromium would play HLS natively (the next fallback); without it the original plays.
  await page.addInitScript(`
    const canPlayType = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type) { return type.includes('mpegurl') ? '' : canPlayType.call(this, type); };
  `);
  await signIn(page, server.url, server.ownerToken);
  const row = page.getByRole('listitem').filter({ hasText: 'Sine Test' });
  await expect(row.getByLabel(/Status of/)).toHaveText(/Ready/, { timeout: 30_000 });
  expect(scripts.filter((script) => /\/hls-/.test(script))).toEqual([]); // not part of startup

  await row.getByRole('button', { name: /^Play / }).click();
  const player = page.getByRole('contentinfo', { name: 'Player' });
  await expect(player).toHaveAttribute('data-mode', 'original');
  await expect(player.getByText('The HLS player could not load — playing the original')).toBeVisible();
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(1);
  expect(scripts.filter((script) => /\/hls-/.test(script))).toHaveLength(1); // asked for once, refused

  // Reachable again (say, a blip): the next load tries again and plays through hls.js.
  await page.unroute(/\/assets\/hls-[^/]*\.js$/);
  await row.getByRole('button', { name: /^Play / }).click();
  await expect(player).toHaveAttribute('data-mode', 'hls.js');
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(1);
});

test('a track whose transcode failed says why and has a Retry that rebuilds its streams', async ({ page, server }, testInfo) => {
  test.setTimeout(120_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks', 'hls']);
  // The state a job ends in after crashing the server three times, written straight into the database.
  const db = new Database(path.join(server.process.dataDir, 'veza.db'));
  try {
    db.prepare("update transcode_jobs set status = 'failed', error = 'Transcoding was interrupted too many times'").run();
  } finally {
    db.close();
  }
  await signIn(page, server.url, server.ownerToken);
  const row = page.getByRole('listitem').filter({ hasText: 'Sine Test' });
  await expect(row.getByLabel(/Status of/)).toHaveText('Failed');
  await expect(row.getByText('Transcoding was interrupted too many times')).toBeVisible();
  await row.getByRole('button', { name: 'Retry transcoding' }).click();
  await expect(row.getByLabel(/Status of/)).toHaveText(/Ready/, { timeout: 60_000 });
  await expect(row.getByRole('button', { name: 'Retry transcoding' })).toHaveCount(0);

  // The rebuilt ladder plays in hls.js.
  await row.getByRole('button', { name: /^Play / }).click();
  const player = page.getByRole('contentinfo', { name: 'Player' });
  await expect(player).toHaveAttribute('data-mode', 'hls.js');
  await expect.poll(() => audioTime(page), { timeout: 20_000 }).toBeGreaterThan(1.5);
});

test('a refused file gets a clear message; rename and delete with confirmation', async ({ page, server }, testInfo) => {
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['tracks']);
  await signIn(page, server.url, server.ownerToken);
  await page.getByLabel('Choose audio files').setInputFiles({ name: 'notes.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('this is not audio at all') });
  await expect(page.getByRole('alert').filter({ hasText: /Refused/ })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Dismiss notes.mp3' }).click();

  const row = page.getByRole('listitem').filter({ hasText: 'Sine Test' });
  await row.getByRole('button', { name: /^Rename / }).click();
  // In edit mode the title lives in the input's value, so find the input by its own name.
  const titleInput = page.getByRole('textbox', { name: 'New title for Sine Test' });
  await titleInput.fill('Sine Final');
  await titleInput.press('Enter');
  const renamed = page.getByRole('listitem').filter({ hasText: 'Sine Final' });
  await expect(renamed).toBeVisible();

  await renamed.getByRole('button', { name: /^Delete / }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this track?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(renamed).toBeVisible();
  await renamed.getByRole('button', { name: /^Delete / }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(renamed).toHaveCount(0);
  await expect(page.getByText('Your library is empty.')).toBeVisible();
});
