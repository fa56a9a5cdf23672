import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { User } from '../../../src/shared/api.js';
import { unauthorized } from '../../infra/errors.js';
import type { AccountsService } from './accounts.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for routes that need a signed-in user; sets `request.user`. */
    requireUser(request: FastifyRequest): Promise<void>;
  }
  interface FastifyRequest {
    user: User | null;
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header ?? '');
  return match ? match[1]! : null;
}

async function authPlugin(app: FastifyInstance, opts: { accounts: AccountsService }) {
  app.decorateRequest('user', null);
  app.decorate('requireUser', async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    const user = token ? await opts.accounts.authenticate(token) : null;
    if (!user) throw unauthorized();
    request.user = user;
  });
}

export const auth = fp(authPlugin, { name: 'auth' });
