import type { TestProject } from 'vitest/node';
import { startPostgres } from './support/postgres.js';
import { startRedis } from './support/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

/** One PostgreSQL and one Redis for the whole run; suites create their own databases and key prefixes. */
export default async function setup(project: TestProject) {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  project.provide('postgresUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    postgres.stop();
  };
}
