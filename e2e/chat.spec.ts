/**
 * Two people in two browser contexts on a real server: live messages, typing, presence "listening to",
 * search, timestamp chips that seek the player, and message text that is never HTML.
 */
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures.js';
import { audioTime, makeWav, probeFeatures, register, requireFeatures, screenshotDir, signIn, uploadViaApi, waitForReady } from './support/veza.js';

test.use({ serverEnv: { VEZA_ALLOW_SIGNUP: 'true' } });

test('two users chat live, see typing and listening presence, search, and follow a timestamp chip', async ({ browser, server }, testInfo) => {
  test.setTimeout(180_000);
  const features = await probeFeatures(server.url, server.ownerToken);
  requireFeatures(testInfo, features, ['chat', 'tracks']);

  const ada = await register(server.url, 'ada', 'Ada');
  const ben = await register(server.url, 'ben', 'Ben');
  const wav = makeWav(path.join(os.tmpdir(), 'veza-e2e-audio'), 'Night Drive.wav', 30, 220);
  const track = await uploadViaApi(server.url, ada.token, wav, 'Night Drive');
  if (features.hls) await waitForReady(server.url, ada.token, track.id);

  const adaContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const benContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const adaPage = await adaContext.newPage();
  const benPage = await benContext.newPage();
  const dialogs: string[] = [];
  for (const page of [adaPage, benPage]) page.on('dialog', (dialog) => (dialogs.push(dialog.message()), void dialog.dismiss()));

  await signIn(adaPage, server.url, ada.token);
  await signIn(benPage, server.url, ben.token);
  const adaBox = adaPage.getByRole('textbox', { name: /^Message / });
  const benBox = benPage.getByRole('textbox', { name: /^Message / });
  await expect(adaBox).toBeVisible();
  await expect(benBox).toBeVisible();

  // Typing shows on the other side.
  await adaBox.pressSequentially('Hello Ben');
  await expect(benPage.getByLabel('Typing')).toHaveText('Ada is typing…', { timeout: 3000 });

  // Enter sends; the message shows up for Ben within a second.
  await adaBox.press('Enter');
  const sentAt = Date.now();
  await expect(benPage.getByRole('log', { name: 'Messages' }).getByText('Hello Ben')).toBeVisible({ timeout: 1000 });
  expect(Date.now() - sentAt).toBeLessThan(1000);
  await expect(adaBox).toHaveValue('');

  // Shift+Enter is a new line, not a send.
  await benBox.fill('');
  await benBox.press('Shift+Enter');
  await expect(benBox).toHaveValue('\n');
  await benBox.fill('');

  // HTML is text: rendered as typed, no element, no dialog.
  const hostile = '<img src=x onerror=alert(1)>';
  await benBox.fill(hostile);
  await benBox.press('Enter');
  await expect(adaPage.getByRole('log', { name: 'Messages' }).getByText(hostile, { exact: true })).toBeVisible();
  expect(await adaPage.getByRole('log', { name: 'Messages' }).locator('img').count()).toBe(0);

  // Ada plays her track: Ben sees "listening to Night Drive".
  await adaPage.getByRole('listitem').filter({ hasText: 'Night Drive' }).getByRole('button', { name: /^Play / }).click();
  await expect.poll(() => audioTime(adaPage), { timeout: 20_000 }).toBeGreaterThan(0.5);
  await expect(benPage.getByLabel('People in this room')).toContainText('listening to Night Drive', { timeout: 5000 });

  // A message with the player position: "at 0:12" chip.
  await adaPage.getByRole('contentinfo', { name: 'Player' }).getByRole('slider', { name: 'Seek' }).fill('12');
  await adaPage.getByRole('button', { name: 'Pause' }).click();
  await adaBox.fill('The snare is buried here');
  await adaPage.getByRole('button', { name: 'Attach the player position' }).click();
  await adaBox.press('Enter');
  const chip = benPage.getByRole('button', { name: /^Play Night Drive at 0:1\d/ });
  await expect(chip).toBeVisible({ timeout: 2000 });
  const chipText = (await chip.textContent()) ?? '';
  const [, minutes, seconds] = /at (\d+):(\d\d)/.exec(chipText)!;
  const at = Number(minutes) * 60 + Number(seconds);
  await chip.click();
  await expect.poll(() => audioTime(benPage), { timeout: 20_000 }).toBeGreaterThanOrEqual(at);
  await expect(benPage.getByRole('contentinfo', { name: 'Player' }).getByLabel('Now playing')).toHaveText('Night Drive');

  // Search finds the message, highlights the words, and jumps to it.
  await benPage.getByRole('button', { name: 'Search messages' }).click();
  await benPage.getByRole('searchbox', { name: 'Search this room' }).fill('snare');
  await benPage.getByRole('searchbox', { name: 'Search this room' }).press('Enter');
  const results = benPage.getByLabel('Search results');
  await expect(results.locator('mark')).toHaveText(/snare/i);
  await results.getByRole('button').first().click();
  await expect(benPage.locator('.message.focused')).toContainText('The snare is buried here');

  // Edit own message.
  const own = adaPage.getByRole('article', { name: 'Message from you' }).filter({ hasText: 'Hello Ben' });
  await own.hover();
  await own.getByRole('button', { name: 'Edit your message' }).click();
  await own.getByRole('textbox', { name: 'Edit message' }).fill('Hello Ben, welcome');
  await own.getByRole('textbox', { name: 'Edit message' }).press('Enter');
  await expect(benPage.getByText('Hello Ben, welcome')).toBeVisible();

  await benPage.screenshot({ path: path.join(screenshotDir, 'chat.png') });
  // After a reload (no typing event seen yet) authors still show by name: the room's members list.
  await benPage.reload();
  await expect(benPage.getByRole('article', { name: 'Message from Ada' }).filter({ hasText: 'Hello Ben, welcome' })).toBeVisible({ timeout: 10_000 });
  expect(dialogs).toEqual([]);
  await adaContext.close();
  await benContext.close();
});

test('a message typed while the server is unreachable is kept and sent after the reconnect', async ({ browser, server }, testInfo) => {
  test.setTimeout(60_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['chat']);
  const cy = await register(server.url, 'cyd', 'Cyd');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.url, cy.token);
  const box = page.getByRole('textbox', { name: /^Message / });
  await expect(box).toBeVisible();

  await context.setOffline(true);
  // CDP offline keeps open websockets; the browser's `offline` event is what the app reacts to.
  await page.evaluate("dispatchEvent(new Event('offline'))");
  await expect(page.getByRole('status', { name: 'Connection' })).toBeVisible({ timeout: 15_000 });
  await box.fill('Sent from the train');
  await box.press('Enter');
  await expect(page.getByRole('article', { name: /Your message, sending/ })).toBeVisible();

  // The draft survives a reload.
  await box.fill('half a thought');
  await context.setOffline(false);
  await page.evaluate("dispatchEvent(new Event('online'))");
  await expect(page.getByRole('status', { name: 'Connection' })).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByRole('article', { name: 'Message from you' }).filter({ hasText: 'Sent from the train' })).toHaveCount(1, { timeout: 10_000 });
  await page.reload();
  await expect(page.getByRole('textbox', { name: /^Message / })).toHaveValue('half a thought');
  await expect(page.getByRole('article', { name: 'Message from you' }).filter({ hasText: 'Sent from the train' })).toHaveCount(1);
  await context.close();
});

test('your own messages can be edited and deleted by keyboard alone; the delete dialog starts on Cancel', async ({ browser, server }, testInfo) => {
  test.setTimeout(60_000);
  requireFeatures(testInfo, await probeFeatures(server.url, server.ownerToken), ['chat']);
  const dee = await register(server.url, 'dee', 'Dee');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.url, dee.token);
  const box = page.getByRole('textbox', { name: /^Message / });
  await box.fill('Keyboard only');
  await box.press('Enter');
  const own = page.getByRole('article', { name: 'Message from you' }).filter({ hasText: 'Keyboard only' });
  await expect(own).toBeVisible();

  // Shift+Tab back from the composer, never touching the mouse, until the Edit button has the focus.
  const edit = own.getByRole('button', { name: 'Edit your message' });
  await box.focus();
  const isFocused = () => edit.evaluate((element) => element === element.ownerDocument.activeElement);
  for (let i = 0; i < 30 && !(await isFocused()); i++) await page.keyboard.press('Shift+Tab');
  await expect(edit).toBeFocused();
  await expect(own.locator('.message-actions')).toHaveCSS('opacity', '1'); // shown while focused
  await page.keyboard.press('Enter');
  const editor = own.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('Keyboard only, edited');
  await editor.press('Enter');
  await expect(page.getByText('Keyboard only, edited')).toBeVisible();

  const edited = page.getByRole('article', { name: 'Message from you' }).filter({ hasText: 'Keyboard only, edited' });
  await edited.getByRole('button', { name: 'Delete your message' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Delete this message?' });
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Enter'); // the safe choice
  await expect(dialog).toHaveCount(0);
  await expect(edited).toBeVisible();
  await context.close();
});
