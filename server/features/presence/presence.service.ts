import type { Presence } from '../../../src/shared/chat.js';
import type { KeyValueStore } from '../../infra/kv/kv.port.js';

/** Resolves a track id to its display name; null when unknown (the tracks feature wires the real one). */
export type TrackNameLookup = (trackId: string) => Promise<string | null>;

export interface PresenceOptions {
  lookupTrackName: TrackNameLookup;
  /** An online record lives this long without a heartbeat (a crashed instance's users go offline). */
  ttlMs?: number;
  now?: () => number;
}

interface OnlineRecord {
  track_id: string | null;
  track_name: string | null;
}

const LAST_SEEN_TTL_MS = 365 * 24 * 3600_000;
const onlineKey = (userId: string) => `presence:online:${userId}`;
/** Expiry index of the online records: lets the live instances notice users whose instance died. */
const ONLINE_EXPIRY = 'presence:online-expiry';
const EXPIRY_PAGE = 500;
const lastSeenKey = (userId: string) => `presence:last_seen:${userId}`;

/**
 * Presence on the key-value port, so every instance sees the same answer. A user is online while
 * `presence:online:<id>` exists: set by the first socket, kept alive by heartbeats (TTL), deleted when
 * the last socket leaves. `last_seen` is written on every heartbeat and at the end.
 */
export class PresenceService {
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly options: PresenceOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 2 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async get(userId: string): Promise<Presence> {
    const [online, lastSeen] = await Promise.all([this.kv.get(onlineKey(userId)), this.kv.get(lastSeenKey(userId))]);
    const record = online ? parseRecord(online) : null;
    return {
      user_id: userId,
      status: record ? 'online' : 'offline',
      last_seen: lastSeen,
      track_id: record?.track_id ?? null,
      track_name: record?.track_name ?? null,
    };
  }

  getMany(userIds: string[]): Promise<Presence[]> {
    return Promise.all(userIds.map((id) => this.get(id)));
  }

  /** A socket of the user arrived; `changed` is true when the user was offline before. */
  async connected(userId: string): Promise<{ presence: Presence; changed: boolean }> {
    const existing = await this.kv.get(onlineKey(userId));
    if (existing) {
      const revived = await this.heartbeat(userId); // gone since the read just above
      return { presence: revived ?? (await this.get(userId)), changed: revived !== null };
    }
    await this.write(userId, { track_id: null, track_name: null });
    return { presence: await this.get(userId), changed: true };
  }

  /**
   * Extends the online TTL. Re-creates the record if it was gone (a long event-loop stall, or another
   * instance took the user offline while they were reconnecting here) and then returns the presence to
   * announce: the others were told "offline".
   */
  async heartbeat(userId: string): Promise<Presence | null> {
    const alive = await this.kv.expire(onlineKey(userId), this.ttlMs);
    if (alive) {
      await this.kv.set(lastSeenKey(userId), this.isoNow(), LAST_SEEN_TTL_MS);
      await this.kv.scheduleExpiry(ONLINE_EXPIRY, userId, this.now() + this.ttlMs);
      return null;
    }
    await this.write(userId, { track_id: null, track_name: null });
    return this.get(userId);
  }

  /** The user's last socket left (everywhere) at `leftAt` (ms). */
  async disconnected(userId: string, leftAt = this.now()): Promise<Presence> {
    await this.kv.set(lastSeenKey(userId), new Date(leftAt).toISOString(), LAST_SEEN_TTL_MS);
    await this.kv.del(onlineKey(userId));
    await this.kv.cancelExpiry(ONLINE_EXPIRY, userId);
    return this.get(userId);
  }

  /**
   * Users whose online record ran out without a goodbye (their instance died or lost the store), each
   * handed to one sweeping instance only. Their `last_seen` is their last heartbeat.
   */
  async takeExpired(): Promise<Presence[]> {
    const expired: Presence[] = [];
    // In pages: a dead instance may leave thousands, all due in this sweep.
    for (;;) {
      const due = await this.kv.takeDue(ONLINE_EXPIRY, this.now(), EXPIRY_PAGE);
      // Still online: renewed between the due time and now; its next heartbeat indexes it again.
      for (const presence of await this.getMany(due)) if (presence.status === 'offline') expired.push(presence);
      if (due.length < EXPIRY_PAGE) return expired;
    }
  }

  async setListening(userId: string, trackId: string | null): Promise<Presence> {
    const trackName = trackId ? await this.options.lookupTrackName(trackId) : null;
    await this.write(userId, { track_id: trackId, track_name: trackName });
    return this.get(userId);
  }

  private async write(userId: string, record: OnlineRecord): Promise<void> {
    await this.kv.set(onlineKey(userId), JSON.stringify(record), this.ttlMs);
    await this.kv.set(lastSeenKey(userId), this.isoNow(), LAST_SEEN_TTL_MS);
    await this.kv.scheduleExpiry(ONLINE_EXPIRY, userId, this.now() + this.ttlMs);
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}

function parseRecord(raw: string): OnlineRecord {
  try {
    const value = JSON.parse(raw) as Partial<OnlineRecord>;
    return { track_id: value.track_id ?? null, track_name: value.track_name ?? null };
  } catch {
    return { track_id: null, track_name: null };
  }
}
