import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../test/support/free-port.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { type ServerProcess, spawnServer } from '../test/support/server-process.js';

describe('headless server process (npm run serve)', () => {
  const started: ServerProcess[] = [];
  const spawnTracked = (env: Record<string, string> = {}) => {
    const server = spawnServer(env);
    started.push(server);
    return server;
  };
  afterEach(() => {
    for (const server of started.splice(0)) {
      server.child.kill('SIGKILL');
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints the listening line, writes server.json 0600, serves, and exits 0 on %s within 5 s', async (signal) => {
    const server = spawnTracked();
    const url = await server.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const infoFile = path.join(server.dataDir, 'server.json');
    expect(fs.statSync(infoFile).mode & 0o777).toBe(0o600);
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
    expect(info).toMatchObject({ url, pid: server.child.pid, mode: 'solo' });
    expect(info.owner_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    const me = await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${info.owner_token}` } });
    expect(await me.json()).toMatchObject({ username: 'owner' });

    const stoppedAt = Date.now();
    server.child.kill(signal);
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(fs.existsSync(infoFile)).toBe(false);
  });

  it('keeps the data across restarts but issues a new owner token each launch', async () => {
    const first = spawnTracked();
    await first.listening;
    const firstToken = JSON.parse(fs.readFileSync(path.join(first.dataDir, 'server.json'), 'utf8')).owner_token;
    first.child.kill('SIGTERM');
    await first.exited;

    const second = spawnServer({}, first.dataDir);
    started.push(second);
    const url = await second.listening;
    const secondToken = JSON.parse(fs.readFileSync(path.join(first.dataDir, 'server.json'), 'utf8')).owner_token;
    expect(secondToken).not.toBe(firstToken);
    expect((await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${firstToken}` } })).status).toBe(401);
    expect((await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secondToken}` } })).status).toBe(200);
  });

  it('team mode: a restart revokes the owner token of its own earlier launch, never a running instance’s', async () => {
    const team = { VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')) };
    const ownerToken = (server: ServerProcess) => JSON.parse(fs.readFileSync(path.join(server.dataDir, 'server.json'), 'utf8')).owner_token as string;
    const a = spawnTracked(team);
    const b = spawnTracked(team);
    await Promise.all([a.listening, b.listening]);
    const [aFirst, bToken] = [ownerToken(a), ownerToken(b)];
    a.child.kill('SIGKILL');
    await a.exited;

    const aAgain = spawnServer(team, a.dataDir);
    started.push(aAgain);
    const url = await aAgain.listening;
    const me = async (token: string) => (await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await me(aFirst)).toBe(401);
    expect(await me(bToken)).toBe(200);
    expect(await me(ownerToken(aAgain))).toBe(200);
  });

  it('SIGTERM during an upload: the upload is refused with 503, its partial file removed, and the process exits 0 at once', async () => {
    const server = spawnTracked();
    const url = new URL(await server.listening);
    const ownerToken = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'server.json'), 'utf8')).owner_token as string;
    const boundary = 'veza-shutdown-test';
    const uploads = path.join(server.dataDir, 'media', 'tmp');
    const request = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/api/v1/tracks',
      headers: { authorization: `Bearer ${ownerToken}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(50 * 1024 * 1024) },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      request.on('error', reject);
    });
    request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
    // A slow client: a chunk every 50 ms, far from the announced 50 MB.
    const drip = setInterval(() => request.write(Buffer.alloc(16 * 1024)), 50);
    try {
      await expect.poll(() => fs.readdirSync(uploads).length, { timeout: 10_000 }).toBe(1);
      const stoppedAt = Date.now();
      server.child.kill('SIGTERM');
      const answer = await response;
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect((await server.exited).code).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(2000);
      expect(fs.readdirSync(uploads)).toEqual([]);
    } finally {
      clearInterval(drip);
      request.destroy();
    }
  });

  it('SIGTERM during start-up (database opened, not yet listening) exits 0 once the start has finished, never 143', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const server = spawnTracked();
      await expect.poll(() => fs.existsSync(path.join(server.dataDir, 'veza.db')), { timeout: 10_000, interval: 5 }).toBe(true);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(fs.existsSync(path.join(server.dataDir, 'server.json'))).toBe(false);
    }
  });

  const badSettings: [string, () => Promise<Record<string, string>>, string][] = [
    ['VEZA_PORT=abc', async () => ({ VEZA_PORT: 'abc' }), 'VEZA_PORT'],
    ['VEZA_HLS=maybe', async () => ({ VEZA_HLS: 'maybe' }), 'VEZA_HLS'],
    ['VEZA_DATABASE_URL=mysql://…', async () => ({ VEZA_DATABASE_URL: 'mysql://x@127.0.0.1/db' }), 'VEZA_DATABASE_URL'],
    ['an unreachable VEZA_DATABASE_URL', async () => ({ VEZA_DATABASE_URL: `postgres://veza@127.0.0.1:${await freePort()}/veza` }), 'VEZA_DATABASE_URL'],
    ['an unreachable VEZA_REDIS_URL', async () => ({ VEZA_REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), 'VEZA_REDIS_URL'],
  ];

  it.each(badSettings)('%s: one clear line naming the variable, non-zero exit, no stack trace', async (_name, env, variable) => {
    const server = spawnTracked(await env());
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    const lines = server.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^veza: ${variable}: `));
    expect(server.stderr()).not.toMatch(/\n\s+at /);
  });

  it('a port already in use is reported as such', async () => {
    const holder = spawnTracked();
    const port = new URL(await holder.listening).port;
    const server = spawnTracked({ VEZA_PORT: port });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.stderr().trim()).toMatch(/^veza: VEZA_PORT: 127\.0\.0\.1:\d+ is already in use/);
  });
});
