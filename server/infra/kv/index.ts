import type { KeyValueStore } from './kv.port.js';
import { MemoryKeyValueStore } from './memory.adapter.js';
import { RedisKeyValueStore } from './redis.adapter.js';

export async function openKeyValueStore(redisUrl: string | null): Promise<KeyValueStore> {
  return redisUrl ? RedisKeyValueStore.connect(redisUrl) : new MemoryKeyValueStore();
}
