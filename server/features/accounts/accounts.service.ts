import { randomUUID } from 'node:crypto';
import type { User } from '../../../src/shared/api.js';
import { ErrorCode } from '../../../src/shared/errors.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../infra/auth/passwords.js';
import { hashToken, newToken } from '../../infra/auth/tokens.js';
import { AppError } from '../../infra/errors.js';
import type { KeyValueStore } from '../../infra/kv/kv.port.js';
import type { AccountsRepository, UserRow } from './accounts.repository.js';
import { normalizeText } from '../../../src/shared/text.js';

const OWNER_USERNAME = 'owner';
const LOGIN_ATTEMPTS = { limit: 10, windowMs: 15 * 60_000 };

export interface AccountsOptions {
  allowSignup: boolean;
  sessionTtlMs: number;
  now?: () => number;
}

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, display_name: row.display_name };
}

export class AccountsService {
  private readonly now: () => number;

  constructor(
    private readonly repo: AccountsRepository,
    private readonly kv: KeyValueStore,
    private readonly options: AccountsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async register(input: { username: string; password: string; display_name?: string }) {
    if (!this.options.allowSignup) throw new AppError(403, ErrorCode.SIGNUP_CLOSED, 'Sign-up is closed on this server');
    const username = input.username.toLowerCase();
    if (username === OWNER_USERNAME) throw new AppError(409, ErrorCode.CONFLICT, 'That username is taken');
    const row: UserRow = {
      id: randomUUID(),
      username,
      display_name: (input.display_name && normalizeText(input.display_name)) || username,
      password_hash: await hashPassword(input.password),
      role: 'member',
      created_at: new Date(this.now()).toISOString(),
    };
    if (!(await this.repo.insertUser(row))) throw new AppError(409, ErrorCode.CONFLICT, 'That username is taken');
    return { user: toUser(row), token: await this.issueToken(row.id, 'session') };
  }

  async login(input: { username: string; password: string }) {
    const username = input.username.toLowerCase();
    const attempt = await this.kv.hitSlidingWindow(`login:${username}`, LOGIN_ATTEMPTS);
    if (!attempt.allowed) {
      throw new AppError(429, ErrorCode.RATE_LIMITED, `Too many sign-in attempts; try again in ${Math.ceil(attempt.retryAfterMs / 1000)} s`);
    }
    const row = await this.repo.findUserByUsername(username);
    // Always spend one hash so timing does not tell whether the account exists.
    const isValid = await verifyPassword(input.password, row?.password_hash ?? (await dummyPasswordHash()));
    if (!row?.password_hash || !isValid) {
      throw new AppError(401, ErrorCode.INVALID_CREDENTIALS, 'Wrong username or password');
    }
    return { user: toUser(row), token: await this.issueToken(row.id, 'session') };
  }

  async authenticate(token: string): Promise<User | null> {
    const row = await this.repo.findUserByTokenHash(hashToken(token), new Date(this.now()).toISOString());
    return row ? toUser(row) : null;
  }

  /**
   * The owner exists from the first start; every launch gets a fresh owner token (server.json / IPC).
   * In solo mode the previous launch's token is revoked; team instances share the owner, so theirs stay.
   */
  async issueOwnerToken(options: { revokePrevious: boolean; displayName: string }): Promise<string> {
    await this.repo.insertUser({
      id: randomUUID(),
      username: OWNER_USERNAME,
      display_name: options.displayName,
      password_hash: null,
      role: 'owner',
      created_at: new Date(this.now()).toISOString(),
    });
    const owner = await this.repo.findUserByUsername(OWNER_USERNAME);
    if (owner?.role !== 'owner') throw new Error(`the "${OWNER_USERNAME}" account is not the owner`);
    if (options.revokePrevious) await this.repo.deleteTokens({ userId: owner.id, kind: 'launch' });
    await this.repo.deleteExpiredTokens(new Date(this.now()).toISOString());
    return this.issueToken(owner.id, 'launch');
  }

  private async issueToken(userId: string, kind: 'session' | 'launch'): Promise<string> {
    const { token, hash } = newToken();
    const now = this.now();
    await this.repo.insertToken({
      token_hash: hash,
      user_id: userId,
      kind,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.options.sessionTtlMs).toISOString(),
    });
    return token;
  }
}
