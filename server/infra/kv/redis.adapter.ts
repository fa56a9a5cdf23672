import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError } from '../../config.js';
import type { KeyValueStore, MessageHandler, SlidingWindowOptions, SlidingWindowResult } from './kv.port.js';

/**
 * One script, so trimming, counting and adding happen atomically across instances.
 * Members are unique (`now-uuid`): the naive `ZADD key now now` would merge same-millisecond hits.
 */
const SLIDING_WINDOW_LUA = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, tonumber(oldest[2]) + window - now}
`;

/** Due members leave the index in the same step that reads them, so two sweepers never both get one. */
const TAKE_DUE_LUA = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
`;

type RedisWithScripts = Redis & {
  slidingWindow(key: string, now: number, windowMs: number, limit: number, member: string): Promise<[number, number, number]>;
  takeDue(key: string, now: number, limit: number): Promise<string[]>;
};

export class RedisKeyValueStore implements KeyValueStore {
  readonly kind = 'redis';
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  private constructor(private readonly redis: RedisWithScripts) {}

  /** Connects and proves the server answers; a bad URL is a configuration error. */
  static async connect(url: string, keyPrefix = 'veza:'): Promise<RedisKeyValueStore> {
    const redis = new Redis(url, {
      keyPrefix,
      lazyConnect: true,
      // Fail fast while disconnected so callers can fall back instead of queueing forever.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A frozen Redis keeps its connections open and answers nothing: callers get an error in 1 s
      // (a 503, or the rate limiter's in-process fallback) instead of hanging.
      commandTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    }) as RedisWithScripts;
    redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
    redis.defineCommand('takeDue', { numberOfKeys: 1, lua: TAKE_DUE_LUA });
    redis.on('error', () => undefined); // reconnects by itself; callers see failed commands
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw new ConfigError('VEZA_REDIS_URL', `cannot connect to Redis (${(error as Error).message})`);
    }
    return new RedisKeyValueStore(redis);
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.pexpire(key, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async del(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async hitSlidingWindow(key: string, { limit, windowMs, nowMs }: SlidingWindowOptions): Promise<SlidingWindowResult> {
    const now = nowMs ?? Date.now();
    const [allowed, count, retryAfterMs] = await this.redis.slidingWindow(key, now, windowMs, limit, `${now}-${randomUUID()}`);
    return { allowed: allowed === 1, count, retryAfterMs: Math.max(0, retryAfterMs) };
  }

  async scheduleExpiry(key: string, member: string, dueAtMs: number): Promise<void> {
    await this.redis.zadd(key, dueAtMs, member);
  }

  async cancelExpiry(key: string, member: string): Promise<void> {
    await this.redis.zrem(key, member);
  }

  async takeDue(key: string, nowMs: number, limit: number): Promise<string[]> {
    return this.redis.takeDue(key, nowMs, limit);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    const subscriber = await this.subscriberConnection();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await subscriber.subscribe(channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  onReconnect(handler: () => void): void {
    // `ready` follows every successful (re)connect; the first one happened in connect().
    this.redis.on('ready', handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.all([this.redis.quit().catch(() => undefined), this.subscriber?.quit().catch(() => undefined)]);
  }

  private async subscriberConnection(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    // A connection in subscriber mode can run nothing else, hence a second one. Channel names are not
    // prefixed by ioredis, and ioredis re-subscribes by itself after a reconnect.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    this.subscriber = subscriber;
    await subscriber.connect();
    return subscriber;
  }
}
