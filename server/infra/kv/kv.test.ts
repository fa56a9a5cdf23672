import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { describeKeyValueStore } from './kv.contract.js';
import { MemoryKeyValueStore } from './memory.adapter.js';
import { RedisKeyValueStore } from './redis.adapter.js';

describeKeyValueStore('memory', async () => new MemoryKeyValueStore());
// A fresh key prefix per test keeps tests apart on the shared test Redis.
describeKeyValueStore('redis', () => RedisKeyValueStore.connect(inject('redisUrl'), `test:${randomUUID()}:`));
