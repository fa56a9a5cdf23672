import { EventEmitter } from 'node:events';
import type { KeyValueStore, MessageHandler, SlidingWindowOptions, SlidingWindowResult } from './kv.port.js';

interface Entry {
  value: string;
  expiresAt: number | null;
}

/** In-process store for solo mode: one process, so atomicity comes from the single thread. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly windows = new Map<string, number[]>();
  private readonly expiries = new Map<string, Map<string, number>>();
  private readonly bus = new EventEmitter().setMaxListeners(0);
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    // Expired keys are dropped lazily on read; the sweep bounds memory for keys never read again.
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: ttlMs === undefined ? null : this.now() + ttlMs });
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(key);
    if (!entry) return false;
    entry.expiresAt = this.now() + ttlMs;
    return true;
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
    this.windows.delete(key);
  }

  async hitSlidingWindow(key: string, { limit, windowMs, nowMs }: SlidingWindowOptions): Promise<SlidingWindowResult> {
    const now = nowMs ?? this.now();
    const hits = (this.windows.get(key) ?? []).filter((t) => t > now - windowMs);
    const allowed = hits.length < limit;
    if (allowed) hits.push(now);
    this.windows.set(key, hits);
    return { allowed, count: hits.length, retryAfterMs: allowed ? 0 : Math.max(0, hits[0]! + windowMs - now) };
  }

  async scheduleExpiry(key: string, member: string, dueAtMs: number): Promise<void> {
    let index = this.expiries.get(key);
    if (!index) this.expiries.set(key, (index = new Map()));
    index.set(member, dueAtMs);
  }

  async cancelExpiry(key: string, member: string): Promise<void> {
    this.expiries.get(key)?.delete(member);
  }

  async takeDue(key: string, nowMs: number, limit: number): Promise<string[]> {
    const index = this.expiries.get(key);
    if (!index) return [];
    const due = [...index].filter(([, at]) => at <= nowMs).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([member]) => member);
    for (const member of due) index.delete(member);
    return due;
  }

  async publish(channel: string, message: string): Promise<void> {
    // Delivered on a later tick, as Redis would, so publishers never re-enter their own handlers.
    setImmediate(() => this.bus.emit(channel, message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.bus.on(channel, handler);
    return async () => void this.bus.off(channel, handler);
  }

  async ping(): Promise<void> {}

  onReconnect(): void {} // one process: never disconnected

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.bus.removeAllListeners();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt != null && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt != null && entry.expiresAt <= now) this.entries.delete(key);
    // A window's hits are at most one window old; an empty or stale window can go.
    for (const [key, hits] of this.windows) if (hits.length === 0 || hits[hits.length - 1]! < now - 3600_000) this.windows.delete(key);
  }
}
