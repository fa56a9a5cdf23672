import type { Kysely } from 'kysely';
import type { DB, UsersTable } from '../../infra/db/schema.js';

export type UserRow = UsersTable;

export class AccountsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findUserByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  findUserById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Returns false when the username is taken (unique constraint), so concurrent sign-ups cannot both win. */
  async insertUser(user: UserRow): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values(user)
      .onConflict((oc) => oc.column('username').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async insertToken(row: DB['auth_tokens']): Promise<void> {
    await this.db.insertInto('auth_tokens').values(row).execute();
  }

  /** The user behind an unexpired token hash. */
  findUserByTokenHash(tokenHash: string, nowIso: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('auth_tokens')
      .innerJoin('users', 'users.id', 'auth_tokens.user_id')
      .selectAll('users')
      .where('auth_tokens.token_hash', '=', tokenHash)
      .where('auth_tokens.expires_at', '>', nowIso)
      .executeTakeFirst();
  }

  async deleteTokens(filter: { userId: string; kind: DB['auth_tokens']['kind']; hash?: string }): Promise<void> {
    let query = this.db.deleteFrom('auth_tokens').where('user_id', '=', filter.userId).where('kind', '=', filter.kind);
    if (filter.hash !== undefined) query = query.where('token_hash', '=', filter.hash);
    await query.execute();
  }

  async deleteExpiredTokens(nowIso: string): Promise<number> {
    const result = await this.db.deleteFrom('auth_tokens').where('expires_at', '<=', nowIso).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
