import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyValueStore } from './kv.port.js';

/** The behaviour every adapter must show; run against memory and Redis alike. */
export function describeKeyValueStore(name: string, makeStore: () => Promise<KeyValueStore>) {
  describe(`key-value contract: ${name}`, () => {
    let kv: KeyValueStore;
    beforeEach(async () => {
      kv = await makeStore();
    });
    afterEach(async () => {
      await kv.close();
    });

    it('gets what was set, and null for a missing key', async () => {
      await kv.set('a', 'one');
      expect(await kv.get('a')).toBe('one');
      expect(await kv.get('missing')).toBeNull();
    });

    it('expires keys set with a TTL', async () => {
      await kv.set('short', 'x', 50);
      await kv.set('long', 'y', 60_000);
      expect(await kv.get('short')).toBe('x');
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await kv.get('short')).toBeNull();
      expect(await kv.get('long')).toBe('y');
    });

    it('expire() shortens a TTL and reports missing keys', async () => {
      await kv.set('k', 'v');
      expect(await kv.expire('k', 50)).toBe(true);
      expect(await kv.expire('nope', 50)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await kv.get('k')).toBeNull();
    });

    it('del() removes a key', async () => {
      await kv.set('gone', 'v');
      await kv.del('gone');
      expect(await kv.get('gone')).toBeNull();
    });

    it('sliding window allows exactly `limit` of 100 hits in the same millisecond', async () => {
      const nowMs = 1_800_000_000_000;
      const results = await Promise.all(
        Array.from({ length: 100 }, () => kv.hitSlidingWindow('burst', { limit: 10, windowMs: 1000, nowMs })),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(10);
      const refused = results.filter((r) => !r.allowed);
      expect(refused).toHaveLength(90);
      expect(refused.every((r) => r.retryAfterMs === 1000)).toBe(true);
    });

    it('sliding window slides: old hits leave, new ones are allowed again', async () => {
      const t0 = 1_800_000_000_000;
      const hit = (nowMs: number) => kv.hitSlidingWindow('slide', { limit: 2, windowMs: 1000, nowMs });
      expect((await hit(t0)).allowed).toBe(true);
      expect((await hit(t0 + 500)).allowed).toBe(true);
      const refused = await hit(t0 + 900);
      expect(refused).toMatchObject({ allowed: false, count: 2, retryAfterMs: 100 });
      expect((await hit(t0 + 1000)).allowed).toBe(true); // t0 has left the window
      expect((await hit(t0 + 1100)).allowed).toBe(false);
    });

    it('sliding windows are per key', async () => {
      const options = { limit: 1, windowMs: 1000, nowMs: 1_800_000_000_000 };
      expect((await kv.hitSlidingWindow('user-a', options)).allowed).toBe(true);
      expect((await kv.hitSlidingWindow('user-b', options)).allowed).toBe(true);
      expect((await kv.hitSlidingWindow('user-a', options)).allowed).toBe(false);
    });

    it('publishes to subscribers until they unsubscribe', async () => {
      const channel = `test:${randomUUID()}`;
      const received: string[] = [];
      const unsubscribe = await kv.subscribe(channel, (message) => received.push(message));
      await kv.publish(channel, 'hello');
      await expect.poll(() => received, { timeout: 2000 }).toEqual(['hello']);
      await unsubscribe();
      await kv.publish(channel, 'after');
      await kv.publish(`${channel}:other`, 'elsewhere');
      // A message published after unsubscribing must never arrive; give it the time a delivery takes.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toEqual(['hello']);
    });

    it('expiry index: takeDue hands each due member out once, oldest first, and leaves the others', async () => {
      const index = `due-${randomUUID()}`;
      await kv.scheduleExpiry(index, 'late', 3000);
      await kv.scheduleExpiry(index, 'b', 2000);
      await kv.scheduleExpiry(index, 'a', 1000);
      await kv.scheduleExpiry(index, 'cancelled', 500);
      await kv.cancelExpiry(index, 'cancelled');
      await kv.scheduleExpiry(index, 'moved', 500);
      await kv.scheduleExpiry(index, 'moved', 9000); // a heartbeat pushed it back
      const [first, second] = await Promise.all([kv.takeDue(index, 2500, 1), kv.takeDue(index, 2500, 1)]);
      expect([...first!, ...second!]).toEqual(['a', 'b']);
      expect(await kv.takeDue(index, 2500, 10)).toEqual([]);
      expect(await kv.takeDue(index, 10_000, 10)).toEqual(['late', 'moved']);
    });

    it('answers ping', async () => {
      await expect(kv.ping()).resolves.toBeUndefined();
    });
  });
}
