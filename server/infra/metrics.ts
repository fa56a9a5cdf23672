import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** One registry per app (no global), so several apps in one process (tests) do not collide. */
    metrics: Registry;
    /** Request durations; paths answered outside Fastify's routing (the HLS segment fast path) count here too. */
    httpDuration: Histogram<'method' | 'route' | 'status'>;
  }
}

async function metricsPlugin(app: FastifyInstance) {
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
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export const metrics = fp(metricsPlugin, { name: 'metrics' });
