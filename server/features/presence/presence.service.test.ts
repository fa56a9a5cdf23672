import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '../../infra/kv/memory.adapter.js';
import { PresenceService } from './presence.service.js';

describe('presence service (injected clock)', () => {
  it('goes offline by itself 2 minutes after the last heartbeat; heartbeats keep it online', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const kv = new MemoryKeyValueStore(() => now);
    const presence = new PresenceService(kv, { lookupTrackName: async () => null, now: () => now });
    expect(await presence.get('u')).toMatchObject({ status: 'offline', last_seen: null });
    expect((await presence.connected('u')).changed).toBe(true);
    expect((await presence.connected('u')).changed).toBe(false);
    now += 90_000;
    await presence.heartbeat('u');
    now += 90_000; // 180 s after connecting, 90 s after the heartbeat
    expect(await presence.get('u')).toMatchObject({ status: 'online', last_seen: '2030-01-01T00:01:30.000Z' });
    now += 30_001; // 2 min after the last heartbeat: the instance is presumed gone
    expect(await presence.get('u')).toMatchObject({ status: 'offline', last_seen: '2030-01-01T00:01:30.000Z' });
    // A heartbeat that finds the record gone re-creates it and returns what to announce; a live one, null.
    expect(await presence.heartbeat('u')).toMatchObject({ status: 'online', track_id: null });
    expect(await presence.heartbeat('u')).toBeNull();
    // last_seen is when the user left, not when the (delayed) check ran.
    const leftAt = now;
    now += 5_000;
    expect(await presence.disconnected('u', leftAt)).toMatchObject({ status: 'offline', last_seen: new Date(leftAt).toISOString() });
    await kv.close();
  });

  it('listening resolves the track name through the injected lookup (null when unknown)', async () => {
    const kv = new MemoryKeyValueStore();
    const presence = new PresenceService(kv, { lookupTrackName: async (id) => (id === 'known' ? 'Night Drive' : null) });
    await presence.connected('u');
    expect(await presence.setListening('u', 'known')).toMatchObject({ status: 'online', track_id: 'known', track_name: 'Night Drive' });
    expect(await presence.setListening('u', 'other')).toMatchObject({ track_id: 'other', track_name: null });
    expect(await presence.setListening('u', null)).toMatchObject({ track_id: null, track_name: null });
    await kv.close();
  });

  it('hands out every expired user in one sweep, however many a dead instance left, and none still online or gone with a goodbye', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const kv = new MemoryKeyValueStore(() => now);
    const presence = new PresenceService(kv, { lookupTrackName: async () => null, now: () => now });
    const users = Array.from({ length: 1200 }, (_, i) => `u${i}`);
    for (const user of users) await presence.connected(user);
    await presence.disconnected('u0'); // left properly: already announced
    now += 90_000;
    await presence.heartbeat('u1'); // its instance is alive
    now += 30_001;
    const expired = await presence.takeExpired();
    expect(expired).toHaveLength(1198);
    expect(new Set(expired.map((p) => p.user_id)).has('u1')).toBe(false);
    expect(expired.every((p) => p.status === 'offline' && p.last_seen === '2030-01-01T00:00:00.000Z')).toBe(true);
    expect(await presence.takeExpired()).toEqual([]); // each once
    await kv.close();
  });
});
