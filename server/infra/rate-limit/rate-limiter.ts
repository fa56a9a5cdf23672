import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TooManyRequestsError } from '../errors.js';
import type { KeyValueStore, SlidingWindowResult } from '../kv/kv.port.js';
import { MemoryKeyValueStore } from '../kv/memory.adapter.js';

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** CONTRACT defaults, per user and action (`presence` is ours: "listening to" updates fan out to every room). */
const DEFAULT_RATE_LIMITS = {
  send_message: { limit: 10, windowMs: 1000 },
  typing: { limit: 5, windowMs: 1000 },
  search: { limit: 2, windowMs: 1000 },
  fetch_history: { limit: 5, windowMs: 1000 },
  presence: { limit: 5, windowMs: 1000 },
  // Ours too: an album or a session's stems at once is fine; a script filling the disk is not.
  upload: { limit: 100, windowMs: 3600_000 },
  // A join moves every socket of the user (on every instance) and reads the members' presence.
  join_room: { limit: 10, windowMs: 1000 },
  create_room: { limit: 10, windowMs: 60_000 },
} satisfies Record<string, RateLimit>;

export type RateLimitAction = keyof typeof DEFAULT_RATE_LIMITS;

export interface RateLimiterOptions {
  kv: KeyValueStore;
  log: Pick<FastifyBaseLogger, 'warn' | 'info'>;
  /** Registry for the hit and fallback metrics; none in unit tests that do not look at them. */
  metrics?: Registry;
  limits?: Partial<Record<RateLimitAction, RateLimit>>;
  /** Injected clock (tests); windows are computed from it on both stores. */
  now?: () => number;
  /** While falling back, how often to try the shared store again. */
  retryIntervalMs?: number;
  /** A shared-store call slower than this counts as a failure (a hung Redis must not hang the chat). */
  timeoutMs?: number;
}

/**
 * Sliding-window limits on the key-value port (atomic Lua in Redis, the single thread in memory).
 * If the shared store fails, the limiter keeps answering from an in-process window, with one warning
 * per outage and a metric, and goes back to the shared store once it answers: the chat must not stop
 * because Redis blinked. During an outage each instance counts on its own, which is the accepted cost.
 */
export class RateLimiter {
  private readonly limits: Record<RateLimitAction, RateLimit>;
  private readonly now: () => number;
  private readonly fallback: MemoryKeyValueStore;
  private fallingBackSince: number | null = null;
  private lastAttemptAt = 0;
  private readonly refused: Counter<'action'>;
  private readonly fallbacks: Counter;
  private readonly fallbackActive: Gauge;

  constructor(private readonly options: RateLimiterOptions) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.fallback = new MemoryKeyValueStore(this.now);
    const registers = options.metrics ? [options.metrics] : [];
    this.refused = new Counter({
      name: 'veza_rate_limit_hits_total',
      help: 'Requests refused by a rate limit, by action',
      labelNames: ['action'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'veza_rate_limit_fallbacks_total',
      help: 'Times the rate limiter fell back to in-process windows because the shared store failed',
      registers,
    });
    this.fallbackActive = new Gauge({
      name: 'veza_rate_limit_fallback_active',
      help: '1 while the rate limiter counts in-process because the shared store is unavailable',
      registers,
    });
  }

  /** True while counting in-process because the shared store failed. */
  get isFallingBack(): boolean {
    return this.fallingBackSince !== null;
  }

  async hit(userId: string, action: RateLimitAction): Promise<SlidingWindowResult> {
    const key = `ratelimit:${action}:${userId}`;
    const window = { ...this.limits[action], nowMs: this.now() };
    const result = await this.hitShared(key, window);
    const final = result ?? (await this.fallback.hitSlidingWindow(key, window));
    if (!final.allowed) this.refused.inc({ action });
    return final;
  }

  /** Throws RATE_LIMITED (429) when over the limit. */
  async consume(userId: string, action: RateLimitAction): Promise<void> {
    const result = await this.hit(userId, action);
    if (!result.allowed) {
      throw new RateLimitedError(action, result.retryAfterMs);
    }
  }

  async close(): Promise<void> {
    await this.fallback.close();
  }

  /** The shared store's answer, or null when it failed (or is being left alone between retries). */
  private async hitShared(key: string, window: { limit: number; windowMs: number; nowMs: number }) {
    const { kv } = this.options;
    if (kv.kind === 'memory') return kv.hitSlidingWindow(key, window);
    const wallNow = Date.now();
    if (this.fallingBackSince !== null && wallNow - this.lastAttemptAt < (this.options.retryIntervalMs ?? 1000)) return null;
    this.lastAttemptAt = wallNow;
    try {
      const result = await withTimeout(kv.hitSlidingWindow(key, window), this.options.timeoutMs ?? 500);
      if (this.fallingBackSince !== null) {
        this.options.log.info({ outage_ms: wallNow - this.fallingBackSince }, 'rate limiter: shared store is back, using it again');
        this.fallingBackSince = null;
        this.fallbackActive.set(0);
      }
      return result;
    } catch (error) {
      if (this.fallingBackSince === null) {
        this.fallingBackSince = wallNow;
        this.fallbacks.inc();
        this.fallbackActive.set(1);
        this.options.log.warn({ err: error }, 'rate limiter: shared store failed, counting in-process until it answers again');
      }
      return null;
    }
  }
}

export class RateLimitedError extends TooManyRequestsError {
  constructor(
    readonly action: RateLimitAction,
    retryAfterMs: number,
  ) {
    super(`Too many ${action.replace('_', ' ')} requests; retry in ${retryAfterMs} ms`, retryAfterMs);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
