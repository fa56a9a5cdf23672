import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '../../src/shared/errors.js';
import { problem, sendProblem } from './errors.js';

/**
 * DNS rebinding defence: a page on evil.test that resolves to 127.0.0.1 still sends `Host: evil.test`.
 * Only exact loopback names with the bound port and configured public hosts pass; alternative spellings
 * of 127.0.0.1 (`0177.0.0.1`, `2130706433`, `0x7f.1`) are refused because browsers send them verbatim.
 */
export class HostPolicy {
  private allowedHosts = new Set<string>();
  private allowedOrigins = new Set<string>();

  constructor(
    port: number,
    private readonly publicHosts: readonly string[],
  ) {
    this.bindPort(port);
  }

  /** With `VEZA_PORT=0` the port is known only once the server listens. */
  bindPort(port: number): void {
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${port}`);
    this.allowedHosts = new Set([...loopback, ...this.publicHosts.map((h) => h.toLowerCase())]);
    this.allowedOrigins = new Set([...this.allowedHosts].flatMap((host) => [`http://${host}`, `https://${host}`]));
  }

  isHostAllowed(host: string | undefined): boolean {
    return host !== undefined && this.allowedHosts.has(host.toLowerCase());
  }

  /** Requests without Origin come from non-browser clients, which need a bearer token anyway. */
  isOriginAllowed(origin: string | undefined): boolean {
    return origin === undefined || this.allowedOrigins.has(origin.toLowerCase());
  }

  /** For socket.io's `allowRequest`: its `cors` option does not cover websocket upgrades. */
  checkHandshake(req: IncomingMessage): string | null {
    if (!this.isHostAllowed(req.headers.host)) return ErrorCode.HOST_NOT_ALLOWED;
    if (!this.isOriginAllowed(req.headers.origin)) return ErrorCode.ORIGIN_NOT_ALLOWED;
    return null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyInstance {
    hostPolicy: HostPolicy;
  }
}

async function securityPlugin(app: FastifyInstance, opts: { policy: HostPolicy }) {
  app.decorate('hostPolicy', opts.policy);
  app.addHook('onRequest', async (request, reply) => {
    if (!opts.policy.isHostAllowed(request.headers.host)) {
      return sendProblem(reply, problem(421, ErrorCode.HOST_NOT_ALLOWED, 'This Host is not served here'));
    }
    if (!SAFE_METHODS.has(request.method) && !opts.policy.isOriginAllowed(request.headers.origin)) {
      return sendProblem(reply, problem(403, ErrorCode.ORIGIN_NOT_ALLOWED, 'Cross-origin request refused'));
    }
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
  });
}

export const security = fp(securityPlugin, { name: 'security' });

const LOOPBACK_CLIENTS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** This machine itself (the desktop window, a local proxy, local benchmarks), by a socket's remote address. */
export function isLoopbackClient(address: string | undefined): boolean {
  return LOOPBACK_CLIENTS.has(address ?? '');
}

/**
 * One address may hold at most `max` open connections; more are closed on arrival. The machine's own
 * loopback is exempt (the desktop window, a reverse proxy in front of a team server, local benchmarks).
 */
export function limitConnectionsPerClient(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (isLoopbackClient(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
