import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Track } from '../src/shared/api.js';
import { makeAudio } from '../test/support/audio.js';
import { signUp, startTeam, uploadTo } from '../test/support/cluster.js';
import { waitFor } from '../test/support/free-port.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { type ServerProcess, spawnServer } from '../test/support/server-process.js';

async function track(url: string, token: string, id: string): Promise<Track> {
  return (await (await fetch(`${url}/api/v1/tracks/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Track;
}

async function jobRows(databaseUrl: string): Promise<Array<{ track_id: string; status: string; attempts: number }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query('select track_id, status, attempts from transcode_jobs')).rows;
  } finally {
    await client.end();
  }
}

describe('team mode transcoding over a shared media dir', () => {
  const audioDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-team-audio-'));
  const mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-team-media-'));
  afterAll(() => {
    fs.rmSync(audioDir, { recursive: true, force: true });
    fs.rmSync(mediaDir, { recursive: true, force: true });
  });

  describe('two instances racing for jobs', () => {
    let team: Awaited<ReturnType<typeof startTeam>>;
    beforeAll(async () => {
      team = await startTeam(2, { VEZA_MEDIA_DIR: path.join(mediaDir, 'race'), VEZA_TRANSCODE_CORES: '1' });
    }, 60_000);
    afterAll(() => team?.stop());

    it('claim each job exactly once, and any instance serves any track', async () => {
      const [a, b] = team.instances.map((i) => i.url) as [string, string];
      const { token } = await signUp(a, 'racer');
      const files = [0, 1, 2, 3].map((i) => makeAudio(audioDir, `race-${i}.wav`, { seconds: 2, frequency: 300 + 100 * i, codecArgs: ['-c:a', 'pcm_s16le'] }));
      const tracks = [];
      for (const [i, file] of files.entries()) tracks.push(await uploadTo(i % 2 === 0 ? a : b, token, file));

      for (const { id } of tracks) {
        await waitFor(async () => (await track(b, token, id)).stream_status === 'ready', { timeoutMs: 90_000, intervalMs: 250, what: `track ${id} ready` });
      }
      const rows = await jobRows(team.env.VEZA_DATABASE_URL);
      expect(rows).toHaveLength(4);
      expect(rows.every((row) => row.status === 'ready' && row.attempts === 1)).toBe(true);

      // A stream token minted by A plays on B: both read the key beside the shared media.
      const info = (await (await fetch(`${a}/api/v1/tracks/${tracks[0]!.id}/hls/info`, { headers: { authorization: `Bearer ${token}` } })).json()) as { master_url: string };
      const masterOnB = new URL(info.master_url, b);
      const master = await fetch(new URL(`${masterOnB.pathname}${masterOnB.search}`, b));
      expect(master.status).toBe(200);
      expect(await master.text()).toContain('#EXTM3U');
    }, 120_000);
  });

  it('an instance killed during a transcode: the job completes on another instance once its lease runs out', async () => {
    const env = {
      VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')),
      VEZA_REDIS_URL: inject('redisUrl'),
      VEZA_MEDIA_DIR: path.join(mediaDir, 'failover'),
      VEZA_JOB_LEASE_S: '3',
    };
    const started: ServerProcess[] = [];
    try {
      const first = spawnServer(env);
      started.push(first);
      const urlA = await first.listening;
      const { token } = await signUp(urlA, 'failover');
      const long = makeAudio(audioDir, 'long.flac', { seconds: 240, codecArgs: ['-c:a', 'flac'] });
      const { id } = await uploadTo(urlA, token, long);
      await waitFor(async () => (await track(urlA, token, id)).stream_status === 'processing', { timeoutMs: 30_000, what: 'processing on A' });
      first.child.kill('SIGKILL');
      await first.exited;

      const second = spawnServer(env);
      started.push(second);
      const urlB = await second.listening;
      await waitFor(async () => (await track(urlB, token, id)).stream_status === 'ready', { timeoutMs: 150_000, intervalMs: 500, what: 'ready on B' });
      const [row] = await jobRows(env.VEZA_DATABASE_URL);
      expect(row).toMatchObject({ status: 'ready', attempts: 2 });
      const hlsDir = path.join(env.VEZA_MEDIA_DIR, 'hls');
      expect(fs.readdirSync(hlsDir)).toEqual([id]);
      expect(fs.readdirSync(path.join(hlsDir, id)).sort()).toEqual(['.job', '128k', '256k', '320k', 'master.m3u8']);
    } finally {
      for (const server of started) {
        server.child.kill('SIGKILL');
        fs.rmSync(server.dataDir, { recursive: true, force: true });
      }
    }
  }, 240_000);
});
