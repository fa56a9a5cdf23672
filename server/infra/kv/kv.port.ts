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
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
