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

describe('one spelling per token', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('accepts only the canonical signature and expiry: the 3 other spellings of the last character and a zero-padded expiry are refused', () => {
    const tokens = new StreamTokens(keys, { ttlS: 3600 });
    const track = randomUUID();
    const { token } = tokens.issue(track, randomUUID());
    const last = ALPHABET.indexOf(token.at(-1)!);
    // The last of 43 characters carries 4 signature bits and 2 unused ones.
    const spellings = [1, 2, 3].map((spare) => `${token.slice(0, -1)}${ALPHABET[(last & ~3) | ((last + spare) & 3)]}`);
    expect(new Set(spellings).size).toBe(3);
    for (const spelling of spellings) {
      expect(Buffer.from(spelling.split('.')[3]!, 'base64url')).toEqual(Buffer.from(token.split('.')[3]!, 'base64url'));
      expect(tokens.verify(spelling, track)).toEqual({ ok: false, reason: 'bad-signature' });
    }
    const [kid, exp, user, sig] = token.split('.');
    expect(tokens.verify(`${kid}.0${exp}.${user}.${sig}`, track)).toEqual({ ok: false, reason: 'malformed' });
    expect(tokens.verify(token, track).ok).toBe(true);
  });
});
