import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { ErrorCode } from '../../src/shared/errors.js';
import { problem, sendProblem } from './errors.js';
import { isLoopbackClient } from './security.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** One registry per app (no global), so several apps in one process (tests) do not collide. */
    metrics: Registry;
    /** Request durations; paths answered outside Fastify's routing (the HLS segment fast path) count here too. */
    httpDuration: Histogram<'method' | 'route' | 'status'>;
  }
}

interface MetricsOptions {
  /** `VEZA_METRICS_TOKEN`: scrapers send it as a bearer token. Without one, only loopback clients may scrape. */
  token: string | null;
}

function hasToken(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function metricsPlugin(app: FastifyInstance, opts: MetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'veza_' });
  const httpDuration = new Histogram({
    name: 'veza_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  app.decorate('metrics', registry);
  app.decorate('httpDuration', httpDuration);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: bounded label cardinality and no tokens in labels.
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    // A team server faces the network: its metrics (routes, volumes, errors) are for its operators only.
    if (opts.token !== null) {
      if (!hasToken(request.headers.authorization, opts.token)) return sendProblem(reply, problem(401, ErrorCode.INVALID_TOKEN, 'Metrics need the metrics token'));
    } else if (!isLoopbackClient(request.socket.remoteAddress) || request.headers['x-forwarded-for'] !== undefined) {
      return sendProblem(reply, problem(403, ErrorCode.FORBIDDEN, 'Metrics are served to loopback clients only; set VEZA_METRICS_TOKEN to scrape from elsewhere'));
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

export const metrics = fp(metricsPlugin, { name: 'metrics' });
