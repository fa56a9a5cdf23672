import { randomUUID } from 'node:crypto';
import type { User } from '../../../src/shared/api.js';
import { ErrorCode } from '../../../src/shared/errors.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../../infra/auth/passwords.js';
import { hashToken, newToken } from '../../infra/auth/tokens.js';
import { AppError, TooManyRequestsError } from '../../infra/errors.js';
import { isLoopbackClient } from '../../infra/security.js';
import type { KeyValueStore } from '../../infra/kv/kv.port.js';
import type { AccountsRepository, UserRow } from './accounts.repository.js';
import { normalizeText } from '../../../src/shared/text.js';

const OWNER_USERNAME = 'owner';
/**
 * Sign-in limits. Failures lock a (client address, username) pair, so a stranger cannot lock a user out
 * from elsewhere; a slower per-username limit stops guessing spread over many addresses; every attempt
 * from one address is throttled too (unknown usernames cost a full password hash). Successes never count
 * towards a lock.
 */
const LOGIN_LIMITS = {
  attemptsPerAddress: { limit: 30, windowMs: 60_000 },
  failuresPerAddressAndUser: { limit: 10, windowMs: 15 * 60_000 },
  failuresPerUser: { limit: 100, windowMs: 60 * 60_000 },
};
/**
 * New accounts per client address: a label's team signing up together passes, a script does not. The
 * machine's own loopback is exempt (the desktop, a reverse proxy not listed in VEZA_TRUSTED_PROXIES).
 */
const SIGNUPS_PER_ADDRESS = { limit: 20, windowMs: 60 * 60_000 };

export interface AccountsOptions {
  allowSignup: boolean;
  sessionTtlMs: number;
  now?: () => number;
}

function tooManySignIns(retryAfterMs: number): TooManyRequestsError {
  return new TooManyRequestsError(`Too many sign-in attempts; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
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

  async register(input: { username: string; password: string; display_name?: string }, client?: { address: string }) {
    if (!this.options.allowSignup) throw new AppError(403, ErrorCode.SIGNUP_CLOSED, 'Sign-up is closed on this server');
    if (client && !isLoopbackClient(client.address)) {
      const signups = await this.kv.hitSlidingWindow(`signup:${client.address}`, SIGNUPS_PER_ADDRESS);
      if (!signups.allowed) {
        throw new TooManyRequestsError(`Too many new accounts from your address; try again in ${Math.ceil(signups.retryAfterMs / 60_000)} min`, signups.retryAfterMs);
      }
    }
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

  async login(input: { username: string; password: string }, client: { address: string }) {
    const username = input.username.toLowerCase();
    const locks = [`login-lock:${client.address}:${username}`, `login-lock:user:${username}`] as const;
    const perAddress = await this.kv.hitSlidingWindow(`login:${client.address}`, LOGIN_LIMITS.attemptsPerAddress);
    if (!perAddress.allowed) throw tooManySignIns(perAddress.retryAfterMs);
    for (const lock of locks) {
      const until = Number(await this.kv.get(lock));
      if (until > this.now()) throw tooManySignIns(until - this.now());
    }
    const row = await this.repo.findUserByUsername(username);
    // Unknown users spend the same one hash, so timing does not tell whether the account exists.
    const isValid = await verifyPassword(input.password, row?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!row?.password_hash || !isValid) {
      await this.countFailure(locks[0], LOGIN_LIMITS.failuresPerAddressAndUser);
      await this.countFailure(locks[1], LOGIN_LIMITS.failuresPerUser);
      throw new AppError(401, ErrorCode.INVALID_CREDENTIALS, 'Wrong username or password');
    }
    return { user: toUser(row), token: await this.issueToken(row.id, 'session') };
  }

  /** The failure that reaches the limit sets a lock for a whole window (a sliding window's upper bound). */
  private async countFailure(lock: string, limit: { limit: number; windowMs: number }): Promise<void> {
    const failures = await this.kv.hitSlidingWindow(`${lock}:failures`, limit);
    if (failures.count >= limit.limit) await this.kv.set(lock, String(this.now() + limit.windowMs), limit.windowMs);
  }

  async authenticate(token: string): Promise<User | null> {
    const row = await this.repo.findUserByTokenHash(hashToken(token), new Date(this.now()).toISOString());
    return row ? toUser(row) : null;
  }

  /**
   * The owner exists from the first start; every launch gets a fresh owner token (server.json / IPC).
   * In solo mode the previous launch's token is revoked; team instances share the owner, so each revokes
   * only the tokens it is told are stale (`revokeHashes`: those of its own earlier launches).
   */
  async issueOwnerToken(options: { revokePrevious: boolean; revokeHashes?: readonly string[]; displayName: string }): Promise<string> {
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
    for (const hash of options.revokeHashes ?? []) await this.repo.deleteTokens({ userId: owner.id, kind: 'launch', hash });
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
