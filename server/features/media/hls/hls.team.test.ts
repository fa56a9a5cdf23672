/**
 * Team mode: two instances on one PostgreSQL database, one Redis and one shared media dir, each with
 * its own segment cache. Whichever instance re-transcodes or deletes, neither may keep serving the old
 * bytes from memory. The folder re-check is switched off here so only the kv broadcast can do it.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HlsInfo } from '../../../../src/shared/api.js';
import { AUDIO_FORMATS, makeAudio } from '../../../../test/support/audio.js';
import { signUp, uploadTo } from '../../../../test/support/cluster.js';
import { waitFor } from '../../../../test/support/free-port.js';
import { createTestDatabase } from '../../../../test/support/postgres.js';
import { type App, buildApp } from '../../../app.js';
import { loadConfig } from '../../../config.js';

interface Instance {
  app: App;
  url: string;
  dataDir: string;
}

let a: Instance;
let b: Instance;
let mediaDir: string;
let fixtures: string;

async function startInstance(shared: Record<string, string>): Promise<Instance> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-hls-team-'));
  const app = await buildApp(loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'silent', ...shared }), { hlsRecheckMs: 3_600_000 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  app.hostPolicy.bindPort(port);
  return { app, url: `http://127.0.0.1:${port}`, dataDir };
}

async function fastHits(instance: Instance): Promise<number> {
  const metric = await instance.app.metrics.getSingleMetric('veza_hls_segment_fast_path_total')!.get();
  return metric.values[0]?.value ?? 0;
}

async function segment(instance: Instance, pathAndQuery: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(instance.url + pathAndQuery);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-hls-team-media-'));
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-hls-team-audio-'));
  const shared = { VEZA_DATABASE_URL: await createTestDatabase(inject('postgresUrl')), VEZA_REDIS_URL: inject('redisUrl'), VEZA_MEDIA_DIR: mediaDir };
  a = await startInstance(shared);
  b = await startInstance(shared);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.app.close(), b?.app.close()]);
  for (const dir of [a?.dataDir, b?.dataDir, mediaDir, fixtures]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('HLS cache across team instances', () => {
  it('a re-transcode or a delete on one instance leaves no stale segment in the other one', { timeout: 120_000 }, async () => {
    const { token: bearer } = await signUp(a.url, 'hls-team');
    const headers = { authorization: `Bearer ${bearer}` };
    const track = await uploadTo(a.url, bearer, makeAudio(fixtures, 't.wav', { seconds: 4, codecArgs: AUDIO_FORMATS.wav }));
    const status = async () => ((await (await fetch(`${a.url}/api/v1/tracks/${track.id}/hls/status`, { headers })).json()) as { status: string }).status;
    await waitFor(async () => (await status()) === 'ready', { timeoutMs: 60_000, what: 'ready' });

    const info = (await (await fetch(`${a.url}/api/v1/tracks/${track.id}/hls/info`, { headers })).json()) as HlsInfo;
    const url = `/api/v1/tracks/${track.id}/hls/128k/seg_00000.ts?token=${new URL(info.master_url!).searchParams.get('token')}`;
    const onDisk = () => fs.readFileSync(path.join(mediaDir, 'hls', track.id, '128k', 'seg_00000.ts'));
    const old = onDisk();
    // Both instances hold the segment in memory and answer it from there.
    for (const instance of [a, b]) {
      await segment(instance, url);
      const before = await fastHits(instance);
      expect((await segment(instance, url)).body.equals(old)).toBe(true);
      expect(await fastHits(instance)).toBe(before + 1);
    }

    fs.copyFileSync(makeAudio(fixtures, 'u.wav', { seconds: 4, frequency: 880, codecArgs: AUDIO_FORMATS.wav }), path.join(mediaDir, 'originals', track.id));
    expect((await fetch(`${a.url}/api/v1/tracks/${track.id}/hls/transcode`, { method: 'POST', headers })).status).toBe(202);
    await waitFor(async () => !onDisk().equals(old) && (await status()) === 'ready', { timeoutMs: 60_000, what: 'the new ladder' });
    const fresh = onDisk();
    // The broadcast takes a moment to arrive; then both serve the new bytes (and never the old ones again).
    for (const instance of [a, b]) {
      await waitFor(async () => (await segment(instance, url)).body.equals(fresh), { timeoutMs: 5000, what: `new bytes from ${instance.url}` });
      expect((await segment(instance, url)).body.equals(fresh)).toBe(true);
    }

    expect((await fetch(`${a.url}/api/v1/tracks/${track.id}`, { method: 'DELETE', headers })).status).toBe(204);
    for (const instance of [a, b]) {
      await waitFor(async () => (await segment(instance, url)).status === 404, { timeoutMs: 5000, what: `404 from ${instance.url}` });
    }
  });
});
