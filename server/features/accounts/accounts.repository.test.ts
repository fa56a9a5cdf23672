import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/dialects.js';
import { MemoryKeyValueStore } from '../../infra/kv/memory.adapter.js';
import { AccountsRepository, type UserRow } from './accounts.repository.js';
import { AccountsService } from './accounts.service.js';

const user = (username: string): UserRow => ({
  id: randomUUID(),
  username,
  display_name: username,
  password_hash: null,
  role: 'member',
  created_at: new Date().toISOString(),
});

describeEachDialect('accounts repository', (ctx) => {
  it('inserts and finds users; a taken username is refused by the unique constraint', async () => {
    const repo = new AccountsRepository(ctx.database.db);
    const alice = user('alice');
    expect(await repo.insertUser(alice)).toBe(true);
    expect(await repo.insertUser({ ...user('alice') })).toBe(false);
    expect(await repo.findUserByUsername('alice')).toEqual(alice);
    expect(await repo.findUserById(alice.id)).toEqual(alice);
    expect(await repo.findUserById(randomUUID())).toBeUndefined();
  });

  it('concurrent sign-ups of one name: exactly one wins', async () => {
    const repo = new AccountsRepository(ctx.database.db);
    const results = await Promise.all(Array.from({ length: 5 }, () => repo.insertUser(user('bob'))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('finds a user by token hash only while the token is unexpired, and deletes expired tokens', async () => {
    const repo = new AccountsRepository(ctx.database.db);
    const carol = user('carol');
    await repo.insertUser(carol);
    const now = Date.parse('2030-01-01T00:00:00.000Z');
    await repo.insertToken({
      token_hash: 'h1',
      user_id: carol.id,
      kind: 'session',
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + 1000).toISOString(),
    });
    expect((await repo.findUserByTokenHash('h1', new Date(now + 999).toISOString()))?.id).toBe(carol.id);
    expect(await repo.findUserByTokenHash('h1', new Date(now + 1000).toISOString())).toBeUndefined();
    expect(await repo.deleteExpiredTokens(new Date(now + 1001).toISOString())).toBe(1);
  });

  it('service: register, login, authenticate; expired sessions stop working', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const accounts = new AccountsService(new AccountsRepository(ctx.database.db), new MemoryKeyValueStore(), {
      allowSignup: true,
      sessionTtlMs: 60_000,
      now: () => now,
    });
    const registered = await accounts.register({ username: 'Dana', password: 'correct horse', display_name: ' Dana D ' });
    expect(registered.user).toMatchObject({ username: 'dana', display_name: 'Dana D' });
    await expect(accounts.login({ username: 'dana', password: 'wrong horse' }, { address: '127.0.0.1' })).rejects.toMatchObject({ status: 401 });
    const { token } = await accounts.login({ username: 'DANA', password: 'correct horse' }, { address: '127.0.0.1' });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await accounts.authenticate(token))?.id).toBe(registered.user.id);
    now += 60_001;
    expect(await accounts.authenticate(token)).toBeNull();
  });

  it('owner token: the owner exists once, and a new launch revokes the previous token in solo mode', async () => {
    const accounts = new AccountsService(new AccountsRepository(ctx.database.db), new MemoryKeyValueStore(), {
      allowSignup: false,
      sessionTtlMs: 60_000,
    });
    const first = await accounts.issueOwnerToken({ revokePrevious: true, displayName: 'Me' });
    const second = await accounts.issueOwnerToken({ revokePrevious: true, displayName: 'Me' });
    expect(await accounts.authenticate(first)).toBeNull();
    const owner = await accounts.authenticate(second);
    expect(owner).toMatchObject({ username: 'owner', display_name: 'Me' });
    const kept = await accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Me' });
    expect((await accounts.authenticate(second))?.id).toBe(owner!.id);
    expect((await accounts.authenticate(kept))?.id).toBe(owner!.id);
  });
});
