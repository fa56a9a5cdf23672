import { expect, test } from './support/fixtures.js';

test('the headless server serves the app shell, and the owner link signs in and leaves the address bar', async ({ page, server }) => {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Veza' })).toBeVisible();
  await expect(page.getByLabel('Server status')).toContainText('Server ok');
  await expect(page.getByLabel('Server status')).toContainText('Not signed in');

  await page.goto("about:blank");
  await page.goto(`${server.url}/#owner_token=${server.ownerToken}`);
  await expect(page.getByLabel('Server status')).toContainText('Signed in as');
  expect(page.url()).toBe(`${server.url}/`);
  expect(problems).toEqual([]);
});

test('a tab whose session ended signs in when a new owner link is pasted into it, without a reload', async ({ page, server }) => {
  await page.goto(`${server.url}/#owner_token=stale-token-of-an-earlier-launch`);
  await expect(page.getByLabel('Server status')).toContainText('Not signed in');
  const marker = await page.evaluate('window.__sameDocument = true');
  expect(marker).toBe(true);

  await page.evaluate(`location.hash = 'owner_token=${server.ownerToken}'`);
  await expect(page.getByLabel('Server status')).toContainText('Signed in as');
  expect(page.url()).toBe(`${server.url}/`); // the token left the address bar
  expect(await page.evaluate('window.__sameDocument === true')).toBe(true); // no reload happened

  // A stale link pasted while signed in changes nothing; while signed out it says why.
  await page.evaluate("location.hash = 'owner_token=not-a-valid-token'");
  await page.waitForTimeout(500);
  await expect(page.getByLabel('Server status')).toContainText('Signed in as');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.evaluate("location.hash = 'owner_token=not-a-valid-token'");
  await expect(page.getByText('That sign-in link is no longer valid')).toBeVisible();
});
