import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Track } from '../src/shared/api.js';
import { decodePcm, makeAudio, measureLoudness } from '../test/support/audio.js';
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

  describe('re-transcode while another instance encodes', () => {
    let team: Awaited<ReturnType<typeof startTeam>>;
    const hlsDir = path.join(mediaDir, 'retranscode', 'hls');
    beforeAll(async () => {
      team = await startTeam(2, { VEZA_MEDIA_DIR: path.join(mediaDir, 'retranscode'), VEZA_TRANSCODE_CORES: '1' });
    }, 60_000);
    afterAll(() => team?.stop());

    const encodesOn = async (url: string) => Number(/^veza_transcode_jobs_running (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    const retranscode = async (url: string, token: string, id: string) =>
      expect((await fetch(`${url}/api/v1/tracks/${id}/hls/transcode`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(202);
    const progressAtLeast = (url: string, token: string, id: string, percent: number) =>
      waitFor(async () => {
        const current = await track(url, token, id);
        return current.stream_status === 'processing' && current.stream_progress >= percent;
      }, { timeoutMs: 90_000, intervalMs: 100, what: `encode at ${percent} %` });

    it('the superseded encode stops at once, its failure never lands, and the new one publishes a complete ladder (posted on the other instance, then on both)', async () => {
      const urls = team.instances.map((i) => i.url) as [string, string];
      const { token } = await signUp(urls[0], 'remixer');
      const sourceFile = makeAudio(audioDir, 'retranscode.flac', { seconds: 240, codecArgs: ['-c:a', 'flac'] });
      const { id } = await uploadTo(urls[0], token, sourceFile);
      await progressAtLeast(urls[0], token, id, 20);
      const encoder = (await encodesOn(urls[0])) === 1 ? 0 : 1;
      const other = urls[1 - encoder]!;

      await retranscode(other, token, id);
      // The encoder heard it over pub/sub: its encode is gone well before its lease (60 s) could tell it.
      await waitFor(async () => (await encodesOn(urls[encoder]!)) === 0 && (await encodesOn(other)) === 1, { timeoutMs: 5000, intervalMs: 100, what: 'superseded encode stopped, the new one running' });
      await progressAtLeast(other, token, id, 20);
      await Promise.all(urls.map((url) => retranscode(url, token, id)));

      await waitFor(async () => ['ready', 'failed'].includes((await track(other, token, id)).stream_status), { timeoutMs: 180_000, intervalMs: 250, what: 'the last re-transcode done' });
      const done = await track(other, token, id);
      expect({ status: done.stream_status, error: done.stream_error }).toEqual({ status: 'ready', error: null });
      expect((await Promise.all(urls.map(encodesOn))).reduce((a, b) => a + b)).toBe(0);
      expect(fs.readdirSync(hlsDir)).toEqual([id]); // no attempt's temp dir left behind
      expect(fs.readdirSync(path.join(hlsDir, id)).sort()).toEqual(['.job', '128k', '256k', '320k', 'master.m3u8']);
      // What a listener hears from the ladder that won: every rung decodes to the whole source (plus at
      // most the AAC priming and padding), at its loudness, without peaking above it.
      const source = measureLoudness(sourceFile);
      for (const rung of ['128k', '256k', '320k']) {
        const playlist = path.join(hlsDir, id, rung, 'playlist.m3u8');
        const extraSamples = decodePcm(playlist).length / 4 - 240 * 44_100; // s16 stereo
        expect(extraSamples, rung).toBeGreaterThanOrEqual(0);
        expect(extraSamples, rung).toBeLessThanOrEqual(2048);
        const heard = measureLoudness(playlist);
        expect(Math.abs(heard.integratedLufs - source.integratedLufs), rung).toBeLessThanOrEqual(0.5);
        expect(heard.truePeakDbtp - source.truePeakDbtp, rung).toBeLessThanOrEqual(1);
      }
    }, 300_000);
  });
});
