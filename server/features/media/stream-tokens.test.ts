import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamTokens } from './stream-tokens.js';

const keys = { current: 'k1', keys: { k1: randomBytes(32) } };

describe('verified-token memo', () => {
  it('a remembered token still opens only its own track and still expires on the injected clock', () => {
    let nowMs = Date.UTC(2030, 0, 1);
    const tokens = new StreamTokens(keys, { ttlS: 60, now: () => nowMs });
    const [trackA, trackB, user] = [randomUUID(), randomUUID(), randomUUID()];
    const { token, expiresAt } = tokens.issue(trackA, user);
    expect(tokens.verify(token, trackA)).toEqual({ ok: true, userId: user, expiresAt });
    expect(tokens.rememberedCount).toBe(1);
    // Second call is answered from memory: same answer, and the track binding still holds.
    expect(tokens.verify(token, trackA)).toEqual({ ok: true, userId: user, expiresAt });
    expect(tokens.verify(token, trackB)).toEqual({ ok: false, reason: 'bad-signature' });
    nowMs = expiresAt * 1000 + 1000;
    expect(tokens.verify(token, trackA)).toEqual({ ok: false, reason: 'expired' });
    expect(tokens.rememberedCount).toBe(0);
  });

  it('refused tokens are never remembered and the memo stays bounded', () => {
    const tokens = new StreamTokens(keys, { ttlS: 3600 });
    const track = randomUUID();
    const { token } = tokens.issue(track, randomUUID());
    expect(tokens.verify(`${token.slice(0, -2)}AA`, track).ok).toBe(false);
    expect(tokens.verify(token, randomUUID()).ok).toBe(false);
    expect(tokens.rememberedCount).toBe(0);
    for (let i = 0; i < 10_050; i++) {
      const issued = tokens.issue(track, randomUUID());
      expect(tokens.verify(issued.token, track).ok).toBe(true);
    }
    expect(tokens.rememberedCount).toBe(10_000);
  });
});
