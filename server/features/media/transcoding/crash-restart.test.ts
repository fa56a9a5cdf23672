import BetterSqlite3 from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HlsStatus, Track, TrackStatusEvent } from '../../../../src/shared/api.js';
import { AUDIO_FORMATS, makeAudio, probeDuration } from '../../../../test/support/audio.js';
import { waitFor } from '../../../../test/support/free-port.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

interface Server {
  child: ChildProcess;
  url: string;
  token: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The headless entry in ONE process (node --import tsx, not the tsx wrapper that forks a child), so a
 * SIGKILL hits the server itself. Detached: its FFmpeg children share its process group, which the
 * test kills at the end (a SIGKILLed server cannot reap them).
 */
async function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: process.env.VEZA_TEST_DEBUG ? 'debug' : 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.push(child.pid!);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    if (process.env.VEZA_TEST_DEBUG) process.stderr.write(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^Veza listening on (http:\/\/\S+)$/m.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
  const info = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.json'), 'utf8')) as { owner_token: string };
  return { child, url, token: info.owner_token, exited };
}

const groups: number[] = [];
let fixtures: string;
let longWav: Buffer;

beforeAll(() => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-crash-audio-'));
  longWav = fs.readFileSync(makeAudio(fixtures, 'long.wav', { seconds: 90, codecArgs: AUDIO_FORMATS.wav }));
});
afterAll(() => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(fixtures, { recursive: true, force: true });
});

async function uploadLong(server: Server): Promise<Track> {
  const form = new FormData();
  form.append('file', new Blob([longWav]), 'long.wav');
  const res = await fetch(`${server.url}/api/v1/tracks`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as Track;
}

async function status(server: Server, id: string): Promise<HlsStatus> {
  const res = await fetch(`${server.url}/api/v1/tracks/${id}/hls/status`, { headers: { authorization: `Bearer ${server.token}` } });
  return (await res.json()) as HlsStatus;
}

function jobRow(dataDir: string, trackId: string) {
  const db = new BetterSqlite3(path.join(dataDir, 'veza.db'), { readonly: true });
  try {
    return db.prepare('select status, attempts, progress from transcode_jobs where track_id = ?').get(trackId) as { status: string; attempts: number; progress: number };
  } finally {
    db.close();
  }
}

const hlsRoot = (dataDir: string) => path.join(dataDir, 'media', 'hls');

describe('crash safety of transcoding', () => {
  it('SIGKILL during a transcode, restart: the job completes exactly once and the output is complete', { timeout: 180_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-crash-'));
    try {
      const first = await startServer(dataDir);
      const track = await uploadLong(first);
      await waitFor(async () => {
        const s = await status(first, track.id);
        return s.status === 'processing' && s.progress >= 1 && s.progress < 90;
      }, { timeoutMs: 60_000, intervalMs: 50, what: 'transcode under way' });
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      // The crash left a half-written temp dir and no visible ladder.
      expect(fs.readdirSync(hlsRoot(dataDir)).some((name) => name.startsWith('.tmp-'))).toBe(true);
      expect(fs.existsSync(path.join(hlsRoot(dataDir), track.id))).toBe(false);
      expect(jobRow(dataDir, track.id)).toMatchObject({ status: 'processing', attempts: 1 });

      const second = await startServer(dataDir);
      const client = connect(second.url, { path: '/api/v1/ws', auth: { token: second.token }, transports: ['websocket'] });
      const readyEvents: TrackStatusEvent[] = [];
      client.on('track:status', (event: TrackStatusEvent) => {
        if (event.track_id === track.id && event.stream_status === 'ready') readyEvents.push(event);
      });
      try {
        await waitFor(async () => (await status(second, track.id)).status === 'ready', { timeoutMs: 120_000, intervalMs: 200, what: 'ready after restart' });
        // Leftovers of the killed attempt are gone; the ladder is whole.
        expect(fs.readdirSync(hlsRoot(dataDir))).toEqual([track.id]);
        const dir = path.join(hlsRoot(dataDir), track.id);
        expect(fs.readdirSync(dir).sort()).toEqual(['.job', '128k', '256k', '320k', 'master.m3u8']);
        for (const rung of ['128k', '256k', '320k']) {
          const playlist = fs.readFileSync(path.join(dir, rung, 'playlist.m3u8'), 'utf8');
          expect(playlist).toContain('#EXT-X-ENDLIST');
          const segments = playlist.split('\n').filter((line) => line.endsWith('.ts'));
          // 90 s in ~6 s segments (the first carries the AAC priming, so a short last one may follow).
          expect(segments.length).toBeGreaterThanOrEqual(15);
          expect(segments.length).toBeLessThanOrEqual(16);
          for (const segment of segments) expect(fs.statSync(path.join(dir, rung, segment)).size).toBeGreaterThan(0);
        }
        expect(Math.abs(probeDuration(path.join(dir, 'master.m3u8')) - 90)).toBeLessThanOrEqual(0.5);
        // Exactly once: one completed attempt after the interrupted one, one ready event.
        expect(jobRow(dataDir, track.id)).toMatchObject({ status: 'ready', attempts: 2, progress: 100 });
        await waitFor(() => readyEvents.length >= 1, { timeoutMs: 5000, what: 'ready event' });
        expect(readyEvents).toHaveLength(1);
      } finally {
        client.close();
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('SIGTERM during a transcode exits 0 within 5 s and the job resumes at the next start', { timeout: 180_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-term-'));
    try {
      const first = await startServer(dataDir);
      const track = await uploadLong(first);
      await waitFor(async () => (await status(first, track.id)).status === 'processing', { timeoutMs: 60_000, intervalMs: 50, what: 'transcode under way' });
      const sentAt = Date.now();
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);
      expect(Date.now() - sentAt).toBeLessThan(5000);
      // Checkpointed: back to pending, the attempt not counted, no temp dir left behind.
      expect(jobRow(dataDir, track.id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(fs.readdirSync(hlsRoot(dataDir))).toEqual([]);

      const second = await startServer(dataDir);
      try {
        await waitFor(async () => (await status(second, track.id)).status === 'ready', { timeoutMs: 120_000, intervalMs: 200, what: 'ready after restart' });
        expect(jobRow(dataDir, track.id)).toMatchObject({ status: 'ready', attempts: 1 });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a crash after the ladder was published but before the job said ready: the restart marks it ready, no second encode', { timeout: 120_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-published-'));
    try {
      const first = await startServer(dataDir);
      const track = await uploadLong(first);
      await waitFor(async () => (await status(first, track.id)).status === 'ready', { timeoutMs: 90_000, intervalMs: 200, what: 'first ladder' });
      first.child.kill('SIGTERM');
      await first.exited;
      // The state a SIGKILL right after the publishing rename leaves: ladder in place, job still processing.
      const db = new BetterSqlite3(path.join(dataDir, 'veza.db'));
      db.prepare("update transcode_jobs set status = 'processing', progress = 99 where track_id = ?").run(track.id);
      db.close();
      const ladder = path.join(hlsRoot(dataDir), track.id);
      const before = { dir: fs.statSync(ladder).ino, master: fs.statSync(path.join(ladder, 'master.m3u8')).mtimeMs };

      const second = await startServer(dataDir);
      try {
        await waitFor(async () => (await status(second, track.id)).status === 'ready', { timeoutMs: 10_000, intervalMs: 100, what: 'ready after restart' });
        expect({ dir: fs.statSync(ladder).ino, master: fs.statSync(path.join(ladder, 'master.m3u8')).mtimeMs }).toEqual(before);
        expect(fs.readdirSync(hlsRoot(dataDir))).toEqual([track.id]);
        expect(jobRow(dataDir, track.id)).toMatchObject({ status: 'ready', progress: 100 });
        // A re-transcode the artist asks for is a new enqueueing: it encodes again.
        const res = await fetch(`${second.url}/api/v1/tracks/${track.id}/hls/transcode`, { method: 'POST', headers: { authorization: `Bearer ${second.token}` } });
        expect(res.status).toBe(202);
        await waitFor(async () => (await status(second, track.id)).status === 'ready' && fs.statSync(ladder).ino !== before.dir, { timeoutMs: 90_000, intervalMs: 200, what: 're-transcoded ladder' });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('FFmpeg orphaned by a SIGKILLed server is stopped by the next start, which starts cleanly and finishes the job', { timeout: 180_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-orphans-'));
    const encodersOf = (dir: string) =>
      fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      });
    try {
      const first = await startServer(dataDir);
      const track = await uploadLong(first);
      await waitFor(async () => {
        const s = await status(first, track.id);
        return s.status === 'processing' && s.progress >= 1 && s.progress < 60;
      }, { timeoutMs: 60_000, intervalMs: 50, what: 'transcode under way' });
      first.child.kill('SIGKILL');
      await first.exited;
      const tempDir = path.join(hlsRoot(dataDir), fs.readdirSync(hlsRoot(dataDir)).find((name) => name.startsWith('.tmp-'))!);
      // The fault is real: the encoders live on without their server.
      expect(encodersOf(tempDir).length).toBeGreaterThan(0);

      const second = await startServer(dataDir);
      try {
        expect(encodersOf(tempDir)).toEqual([]);
        expect(fs.existsSync(tempDir)).toBe(false);
        await waitFor(async () => (await status(second, track.id)).status === 'ready', { timeoutMs: 120_000, intervalMs: 200, what: 'ready after restart' });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
