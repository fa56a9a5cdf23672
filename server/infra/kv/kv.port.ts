/**
 * The key-value port behind presence, rate limits and cross-instance pub/sub.
 * Solo mode uses the in-process adapter; team mode the Redis adapter. Both pass `kv.contract.ts`.
 */
export interface SlidingWindowResult {
  allowed: boolean;
  /** Hits counted in the window after this call (a refused hit is not counted). */
  count: number;
  /** When refused: how long until the oldest hit leaves the window. 0 when allowed. */
  retryAfterMs: number;
}

export interface SlidingWindowOptions {
  limit: number;
  windowMs: number;
  /** Injected clock for tests; defaults to Date.now(). */
  nowMs?: number;
}

export type MessageHandler = (message: string) => void;

export interface KeyValueStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** `ttlMs` makes the key expire; without it the key lives until deleted. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Returns false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  del(key: string): Promise<void>;
  /** Atomically counts a hit against a sliding window; hits in the same millisecond all count. */
  hitSlidingWindow(key: string, options: SlidingWindowOptions): Promise<SlidingWindowResult>;
  /** Adds or moves `member` in the expiry index `key`, due at `dueAtMs`. */
  scheduleExpiry(key: string, member: string, dueAtMs: number): Promise<void>;
  /** Removes `member` from the expiry index. */
  cancelExpiry(key: string, member: string): Promise<void>;
  /**
   * Removes and returns up to `limit` members due at or before `nowMs`, atomically: with several
   * instances sweeping the same index, each due member goes to exactly one of them.
   */
  takeDue(key: string, nowMs: number, limit: number): Promise<string[]>;
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  /** Called each time the connection to the store comes back after a loss (never for the in-process store). */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}
