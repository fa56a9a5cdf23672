import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuthResultSchema, LoginBodySchema, RegisterBodySchema, UserSchema } from '../../../src/shared/api.js';
import type { AccountsService } from './accounts.service.js';

export const accountsRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountsService }> = async (app, { accounts }) => {
  app.post(
    '/auth/register',
    { schema: { tags: ['accounts'], body: RegisterBodySchema, response: { 201: AuthResultSchema } } },
    async (request, reply) => reply.code(201).send(await accounts.register(request.body, { address: request.ip })),
  );

  app.post(
    '/auth/login',
    { schema: { tags: ['accounts'], body: LoginBodySchema, response: { 200: AuthResultSchema } } },
    async (request) => accounts.login(request.body, { address: request.ip }),
  );

  app.get(
    '/auth/me',
    { onRequest: app.requireUser, schema: { tags: ['accounts'], security: [{ bearer: [] }], response: { 200: UserSchema } } },
    async (request) => request.user!,
  );
};
