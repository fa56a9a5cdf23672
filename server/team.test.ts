import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeam } from '../test/support/cluster.js';

type Team = Awaited<ReturnType<typeof startTeam>>;

async function post(url: string, path: string, body: unknown) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('team mode: three server processes on one PostgreSQL and one Redis', () => {
  let team: Team;
  beforeAll(async () => {
    // Started together on an empty database: migrations must run once, under the advisory lock.
    team = await startTeam(3);
  }, 60_000);
  afterAll(() => team?.stop());

  it('all three came up and report team mode', async () => {
    for (const { url } of team.instances) {
      const health = await (await fetch(`${url}/api/v1/health`)).json();
      expect(health).toMatchObject({ status: 'ok', mode: 'team' });
    }
  });

  it('an account made on one instance signs in on another, and its token works on the third', async () => {
    const [a, b, c] = team.instances.map((i) => i.url);
    expect((await post(a!, '/api/v1/auth/register', { username: 'teamie', password: 'long enough pw' })).status).toBe(201);
    const login = await post(b!, '/api/v1/auth/login', { username: 'teamie', password: 'long enough pw' });
    expect(login.status).toBe(200);
    const me = await fetch(`${c}/api/v1/auth/me`, { headers: { authorization: `Bearer ${login.body.token}` } });
    expect(await me.json()).toMatchObject({ username: 'teamie' });
  });

  it('limits are global: 10 failed sign-ins spread over three instances lock the account everywhere', async () => {
    const urls = team.instances.map((i) => i.url);
    await post(urls[0]!, '/api/v1/auth/register', { username: 'target', password: 'long enough pw' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      statuses.push((await post(urls[i % 3]!, '/api/v1/auth/login', { username: 'target', password: `guess-${i}` })).status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});
