import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import type { Track } from '../../src/shared/api.js';
import { multipartBody } from './audio.js';
import { createTestDatabase } from './postgres.js';
import { type ServerProcess, spawnServer } from './server-process.js';

interface TeamInstance {
  url: string;
  process: ServerProcess;
}

/**
 * N headless server processes started at once on one fresh PostgreSQL database and the test Redis:
 * a team deployment on one machine. `stop()` kills them and removes their data dirs.
 */
export async function startTeam(count: number, env: Record<string, string> = {}) {
  const shared = { VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')), VEZA_REDIS_URL: inject('redisUrl'), ...env };
  const processes = Array.from({ length: count }, () => spawnServer(shared));
  const urls = await Promise.all(processes.map((p) => p.listening));
  const instances: TeamInstance[] = processes.map((process, i) => ({ url: urls[i]!, process }));
  return {
    instances,
    env: shared,
    stop: async () => {
      for (const { process } of instances) process.child.kill('SIGKILL');
      await Promise.all(instances.map(({ process }) => process.exited));
      for (const { process } of instances) fs.rmSync(process.dataDir, { recursive: true, force: true });
    },
  };
}

/** A new member account on a team instance (sign-up is open in team mode). */
export async function signUp(url: string, username: string): Promise<{ token: string; userId: string }> {
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery' }),
  });
  if (response.status !== 201) throw new Error(`sign-up of ${username} failed: ${response.status}`);
  const body = (await response.json()) as { token: string; user: { id: string } };
  return { token: body.token, userId: body.user.id };
}

/** Uploads an audio file to a running instance over HTTP; the new track as the API returns it. */
export async function uploadTo(url: string, token: string, file: string): Promise<Track> {
  const body = multipartBody([{ name: 'file', fileName: path.basename(file), content: fs.readFileSync(file) }]);
  const response = await fetch(`${url}/api/v1/tracks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType },
    body: body.payload,
  });
  if (response.status !== 201) throw new Error(`upload of ${path.basename(file)} failed: ${response.status}`);
  return (await response.json()) as Track;
}
