import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/support/redis.js';
import { waitFor } from '../../../test/support/free-port.js';
import type { KeyValueStore } from '../kv/kv.port.js';
import { MemoryKeyValueStore } from '../kv/memory.adapter.js';
import { RedisKeyValueStore } from '../kv/redis.adapter.js';
import { RateLimiter } from './rate-limiter.js';

const quietLog = { warn: () => undefined, info: () => undefined };

const adapters: Array<[string, () => Promise<KeyValueStore>]> = [
  ['memory', async () => new MemoryKeyValueStore()],
  ['redis', () => RedisKeyValueStore.connect(inject('redisUrl'), `test:${randomUUID()}:`)],
];

describe.each(adapters)('rate limiter on %s', (_name, makeStore) => {
  it('100 hits in the same millisecond against a limit of 10: exactly 10 allowed', async () => {
    const kv = await makeStore();
    const limiter = new RateLimiter({ kv, log: quietLog, now: () => 1_800_000_000_000, limits: { send_message: { limit: 10, windowMs: 1000 } } });
    try {
      const results = await Promise.all(Array.from({ length: 100 }, () => limiter.hit('u1', 'send_message')));
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
      // Per user and per action: another user and another action start from zero.
      expect((await limiter.hit('u2', 'send_message')).allowed).toBe(true);
      expect((await limiter.hit('u1', 'typing')).allowed).toBe(true);
    } finally {
      await limiter.close();
      await kv.close();
    }
  });

  it('uses the CONTRACT defaults and lets hits in again once the window slides', async () => {
    const kv = await makeStore();
    let now = 1_800_000_000_000;
    const registry = new Registry();
    const limiter = new RateLimiter({ kv, log: quietLog, now: () => now, metrics: registry });
    try {
      const hits = async (action: 'send_message' | 'typing' | 'search' | 'fetch_history', n: number) =>
        (await Promise.all(Array.from({ length: n }, () => limiter.hit('u', action)))).filter((r) => r.allowed).length;
      expect(await hits('send_message', 14)).toBe(10);
      expect(await hits('typing', 8)).toBe(5);
      expect(await hits('search', 5)).toBe(2);
      expect(await hits('fetch_history', 9)).toBe(5);
      now += 1000;
      expect(await hits('send_message', 1)).toBe(1);
      const refused = await registry.getSingleMetric('veza_rate_limit_hits_total')!.get();
      expect(refused.values.find((v) => v.labels.action === 'send_message')?.value).toBe(4);
    } finally {
      await limiter.close();
      await kv.close();
    }
  });
});

describe('rate limiter when Redis blinks', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('falls back to in-process windows with one warning and a metric, then returns to Redis', async () => {
    const kv = await RedisKeyValueStore.connect(redis.url, `test:${randomUUID()}:`);
    const warnings: string[] = [];
    const infos: string[] = [];
    const registry = new Registry();
    const limiter = new RateLimiter({
      kv,
      metrics: registry,
      retryIntervalMs: 50,
      log: { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? ''), info: (_obj: unknown, msg?: string) => void infos.push(msg ?? '') } as never,
    });
    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    try {
      expect((await limiter.hit('u', 'send_message')).allowed).toBe(true);
      expect(limiter.isFallingBack).toBe(false);

      await redis.pause();
      // Still answering, still limiting (in-process): 12 hits, 10 allowed.
      const during = await Promise.all(Array.from({ length: 12 }, () => limiter.hit('v', 'send_message')));
      expect(during.filter((r) => r.allowed)).toHaveLength(10);
      expect(limiter.isFallingBack).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(await metric('veza_rate_limit_fallbacks_total')).toBe(1);
      expect(await metric('veza_rate_limit_fallback_active')).toBe(1);

      await redis.start();
      await waitFor(async () => (await limiter.hit('w', 'typing')) && !limiter.isFallingBack, { what: 'limiter back on Redis' });
      expect(infos).toHaveLength(1);
      expect(warnings).toHaveLength(1);
      expect(await metric('veza_rate_limit_fallback_active')).toBe(0);
      // Counting happens in Redis again: a second limiter on the same store sees the first one's hits.
      const other = new RateLimiter({ kv, log: quietLog });
      await Promise.all(Array.from({ length: 2 }, () => limiter.hit('x', 'search')));
      expect((await other.hit('x', 'search')).allowed).toBe(false);
      await other.close();
    } finally {
      await limiter.close();
      await kv.close();
    }
  });
});
