import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { PresenceSchema, UserParamsSchema } from '../../../src/shared/chat.js';
import type { DB } from '../../infra/db/schema.js';
import { notFound } from '../../infra/errors.js';
import type { PresenceService } from './presence.service.js';

export const presenceRoutes: FastifyPluginAsyncTypebox<{ presence: PresenceService; db: Kysely<DB> }> = async (app, { presence, db }) => {
  app.get(
    '/users/:id/presence',
    {
      onRequest: app.requireUser,
      schema: { tags: ['presence'], security: [{ bearer: [] }], params: UserParamsSchema, response: { 200: PresenceSchema } },
    },
    async (request) => {
      const user = await db.selectFrom('users').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!user) throw notFound('User');
      return presence.get(user.id);
    },
  );
};
