import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { API_PREFIX } from '../src/shared/routes.js';
import type { Config } from './config.js';
import { AccountsRepository } from './features/accounts/accounts.repository.js';
import { accountsRoutes } from './features/accounts/accounts.routes.js';
import { AccountsService } from './features/accounts/accounts.service.js';
import { auth } from './features/accounts/auth.plugin.js';
import { healthRoutes } from './features/health/health.routes.js';
import { webPlugin } from './features/web/web.plugin.js';
import { errors } from './infra/errors.js';
import { type FfmpegLookup, locateFfmpeg } from './infra/ffmpeg.js';
import { metrics } from './infra/metrics.js';
import { HostPolicy, security } from './infra/security.js';
import { socket } from './infra/socket.js';
import { stores } from './infra/stores.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    accounts: AccountsService;
  }
}

/** Tokens travel in `?token=` on stream URLs and in Authorization headers: neither reaches the log. */
function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token)=)[^&]*/gi, '$1[redacted]');
}

function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream ? { stream } : {}),
    redact: { paths: ['req.headers.authorization', '*.password', '*.token', '*.owner_token'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
    },
  };
}

export interface AppOptions {
  /** Where JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
}

/** The whole server as a plugin tree: no listening, no process concerns (see main.ts). */
export async function buildApp(config: Config, options: AppOptions = {}) {
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    // Unknown fields are refused, not silently dropped: a client sending `role` should hear about it.
    ajv: { customOptions: { removeAdditional: false } },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // Bounds how long a stuck client can hold a connection open.
    requestTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const policy = new HostPolicy(config.port, config.publicHosts);
  let ffmpegLookup: Promise<FfmpegLookup> | undefined;
  const ffmpeg = () => (ffmpegLookup ??= locateFfmpeg(config.ffmpegPath));

  app.decorate('config', config);
  app.addHook('onSend', async (request, reply) => void reply.header('X-Request-Id', request.id));
  await app.register(errors);
  await app.register(security, { policy });
  await app.register(metrics);
  await app.register(stores, { config });

  const accounts = new AccountsService(new AccountsRepository(app.db.db), app.kv, {
    allowSignup: config.allowSignup,
    sessionTtlMs: config.sessionTtlMs,
  });
  app.decorate('accounts', accounts);
  await app.register(auth, { accounts });
  await app.register(socket, { policy, redisUrl: config.redisUrl, authenticate: (token) => accounts.authenticate(token) });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Veza API', version: VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(healthRoutes, { mode: config.mode, version: VERSION, ffmpeg });
      await api.register(accountsRoutes, { accounts });
    },
    { prefix: API_PREFIX },
  );
  await app.register(webPlugin, { rendererDir: config.rendererDir });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/** Display name for the solo owner: the OS account name reads better than "owner" in chat. */
export function ownerDisplayName(): string {
  try {
    return os.userInfo().username || 'Owner';
  } catch {
    return 'Owner';
  }
}
