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
