import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, TEST_HOST, TEST_PORT, type TestApp } from '../../test/support/app.js';

describe('Host allowlist and Origin checks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ VEZA_PUBLIC_HOSTS: 'veza.example.org' });
  });
  afterAll(() => t.close());

  const refusedHosts = [
    'evil.test',
    `evil.test:${TEST_PORT}`,
    'localhost.evil.test',
    '127.0.0.1.nip.io',
    'localhost6',
    `0.0.0.0:${TEST_PORT}`,
    '0177.0.0.1',
    '0x7f.1',
    '2130706433',
    '',
    `127.0.0.1:${TEST_PORT + 1}`,
  ];

  it.each(refusedHosts)('refuses Host %j with a problem and keeps serving', async (host) => {
    const refused = await t.request({ method: 'GET', url: '/api/v1/health', headers: { host } });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'HOST_NOT_ALLOWED', status: refused.statusCode });
    const served = await t.request({ method: 'GET', url: '/api/v1/health' });
    expect(served.statusCode).toBe(200);
  });

  it.each([`127.0.0.1:${TEST_PORT}`, `localhost:${TEST_PORT}`, `[::1]:${TEST_PORT}`, 'veza.example.org', `LOCALHOST:${TEST_PORT}`])(
    'accepts Host %j',
    async (host) => {
      const response = await t.request({ method: 'GET', url: '/api/v1/health', headers: { host } });
      expect(response.statusCode).toBe(200);
    },
  );

  it('refuses a Host before routing, even on unknown routes', async () => {
    const response = await t.request({ method: 'GET', url: '/no/such/route', headers: { host: 'evil.test' } });
    expect(response.json().code).toBe('HOST_NOT_ALLOWED');
  });

  it('refuses state-changing requests from a foreign Origin, allows same-origin and Origin-less clients', async () => {
    const body = { username: 'owner', password: 'whatever-long' };
    const foreign = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers: { origin: 'https://evil.test' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('ORIGIN_NOT_ALLOWED');
    const nullOrigin = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers: { origin: 'null' } });
    expect(nullOrigin.statusCode).toBe(403);
    const same = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers: { origin: `http://${TEST_HOST}` } });
    expect(same.statusCode).toBe(401);
    const none = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: body });
    expect(none.statusCode).toBe(401);
  });

  it('never reflects CORS headers', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/health', headers: { origin: 'https://evil.test' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.request({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sets hardening headers and a strict CSP on the page', async () => {
    const page = await t.request({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});
