/** Accounts: users, sessions and the `requireUser` hook every other feature's routes use. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { API_PREFIX } from '../../../src/shared/routes.js';
import { AccountsRepository } from './accounts.repository.js';
import { accountsRoutes } from './accounts.routes.js';
import { AccountsService } from './accounts.service.js';
import { auth } from './auth.plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService;
  }
}

async function accountsPlugin(app: FastifyInstance, options: { allowSignup: boolean; sessionTtlMs: number }) {
  const accounts = new AccountsService(new AccountsRepository(app.db.db), app.kv, options);
  app.decorate('accounts', accounts);
  await app.register(auth, { accounts });
  await app.register(accountsRoutes, { prefix: API_PREFIX, accounts });
}

export const accounts = fp(accountsPlugin, { name: 'accounts', dependencies: ['stores'] });
