import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_ID } from '../../../src/shared/chat.js';
import { waitFor } from '../../../test/support/free-port.js';
import { startRedis, type TestRedis } from '../../../test/support/redis.js';
import { startSocketApp } from '../../../test/support/socket-app.js';

describe('chat when Redis blinks', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('sends keep working on in-process limits (one warning, a metric), and go back to Redis when it returns', async () => {
    const server = await startSocketApp({ VEZA_REDIS_URL: redis.url });
    try {
      const alice = await server.signUp('alice');
      const socket = await server.connect(alice.token);
      let n = 0;
      const send = () => socket.emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: `m${n++}`, content: `message ${n}` });
      expect((await send()).ok).toBe(true);

      await redis.pause();
      const during = await Promise.all(Array.from({ length: 5 }, send));
      expect(during.every((ack) => ack.ok)).toBe(true);
      expect(server.app.rateLimiter.isFallingBack).toBe(true);
      // Limits still hold while falling back.
      const burst = await Promise.all(Array.from({ length: 10 }, send));
      expect(burst.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED').length).toBeGreaterThan(0);
      const warnings = server.logs.filter((line) => line.level === 40 && line.msg.startsWith('rate limiter'));
      expect(warnings).toHaveLength(1);
      const metrics = await server.app.inject({ method: 'GET', url: '/metrics', headers: { host: new URL(server.url).host } });
      expect(metrics.body).toContain('veza_rate_limit_fallbacks_total 1');
      expect(metrics.body).toContain('veza_rate_limit_fallback_active 1');

      await redis.start();
      await waitFor(
        async () => {
          const ack = await send();
          return ack.ok && !server.app.rateLimiter.isFallingBack;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'the limiter back on Redis' },
      );
      expect(server.logs.filter((line) => line.level === 40 && line.msg.startsWith('rate limiter'))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('while Redis is frozen, sign-in answers 503 within 2 s (not a hang), sends still go through, and both recover on thaw', async () => {
    const server = await startSocketApp({ VEZA_REDIS_URL: redis.url });
    try {
      const bob = await server.signUp('bob');
      const socket = await server.connect(bob.token);
      const login = () =>
        fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: 'correct horse battery' }) });
      expect((await login()).status).toBe(200);

      redis.freeze();
      try {
        const startedAt = Date.now();
        const refused = await login();
        expect(Date.now() - startedAt).toBeLessThan(2000);
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining('shared store') });
        const ack = await socket.timeout(3000).emitWithAck('message:send', { room_id: DEFAULT_ROOM_ID, client_id: 'frozen-1', content: 'while frozen' });
        expect(ack.ok).toBe(true);
      } finally {
        redis.thaw();
      }
      await expect.poll(async () => (await login()).status, { timeout: 10_000, interval: 250 }).toBe(200);
    } finally {
      await server.close();
    }
  });
});
