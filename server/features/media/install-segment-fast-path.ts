import type { FastifyInstance } from 'fastify';
import type http from 'node:http';
import type { SegmentFastPath } from './hls/segment-fast-path.js';

export interface SegmentFastPathSlot {
  /** From now on, cached segment hits are answered by `fastPath`. */
  serveWith(fastPath: SegmentFastPath): void;
}

/**
 * Puts a slot in front of Fastify's request listener: cached HLS segment hits are answered there
 * (segment-fast-path.ts), every other request reaches Fastify's own handler unchanged. Must run before
 * socket.io wraps the listeners, so Fastify still creates and configures its server itself (a second
 * `localhost` binding, ::1, that Fastify adds on listen simply goes without the fast path).
 */
export function installSegmentFastPath(app: FastifyInstance): SegmentFastPathSlot {
  const listeners = app.server.listeners('request') as http.RequestListener[];
  if (listeners.length !== 1) throw new Error(`expected Fastify's one request listener, found ${listeners.length}`);
  const [fastifyHandler] = listeners as [http.RequestListener];
  let fastPath: SegmentFastPath | null = null;
  app.server.removeListener('request', fastifyHandler);
  app.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (fastPath === null || !fastPath.tryServe(req, res)) fastifyHandler.call(app.server, req, res);
  });
  return { serveWith: (next) => void (fastPath = next) };
}
