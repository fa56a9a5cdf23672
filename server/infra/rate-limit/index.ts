import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type RateLimit, type RateLimitAction, RateLimiter } from './rate-limiter.js';

export type { RateLimit, RateLimitAction } from './rate-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    rateLimiter: RateLimiter;
  }
}

export interface RateLimitOptions {
  limits?: Partial<Record<RateLimitAction, RateLimit>>;
  now?: () => number;
}

/** One limiter per app on the shared key-value store (so limits hold across team instances). */
async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions) {
  const rateLimiter = new RateLimiter({ kv: app.kv, log: app.log, metrics: app.metrics, ...options });
  app.decorate('rateLimiter', rateLimiter);
  app.addHook('onClose', () => rateLimiter.close());
}

export const rateLimit = fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['stores', 'metrics'] });
