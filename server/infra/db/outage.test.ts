import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.js';

describe('PostgreSQL outage', () => {
  let postgres: TestPostgres;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    t = await makeTestApp({ VEZA_DATABASE_URL: postgres.url });
    token = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    postgres?.stop();
  });

  const me = () => t.request({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const health = () => t.request({ method: 'GET', url: '/api/v1/health' });

  it('answers 503 problems while PostgreSQL is down, does not exit, and recovers without a restart', async () => {
    expect((await me()).statusCode).toBe(200);
    postgres.pause();

    const down = await health();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'down', checks: { db: { ok: false } } });
    const refused = await me();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    postgres.start();
    await expect.poll(async () => (await health()).statusCode, { timeout: 15_000 }).toBe(200);
    await expect.poll(async () => (await me()).statusCode, { timeout: 15_000 }).toBe(200);
  }, 60_000);
});
