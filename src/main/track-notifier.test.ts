import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { userRoom } from '../../server/infra/socket.js';
import { type RunningServer, startServer } from '../../server/server-process.js';
import { AUDIO_FORMATS, makeAudio, multipartBody } from '../../test/support/audio.js';
import { waitFor } from '../../test/support/free-port.js';
import type { Track, TrackStatusEvent, User } from '../shared/api.js';
import { readyNotification, type TrackNotification, TrackNotifier } from './track-notifier.js';

const TRACK = '0b6f1c9e-6a57-4a1e-9f44-2b8f0b3c6d11';

describe('readyNotification', () => {
  it('names the track when its title is known, else says “your track”', () => {
    expect(readyNotification(TRACK, 'Night Drive')).toEqual({ trackId: TRACK, title: 'Track ready', body: '“Night Drive” is ready to stream.' });
    expect(readyNotification(TRACK, '  Night Drive  ').body).toBe('“Night Drive” is ready to stream.');
    expect(readyNotification(TRACK, null).body).toBe('Your track is ready to stream.');
    expect(readyNotification(TRACK, '   ').body).toBe('Your track is ready to stream.');
  });
});

/** What the server sends (`toStatusEvent`): the track's id and stream fields, no title. */
const status = (trackId: string, stream_status: TrackStatusEvent['stream_status'], stream_progress: number): TrackStatusEvent => ({
  track_id: trackId,
  stream_status,
  stream_progress,
  stream_manifest_url: stream_status === 'ready' ? `/api/v1/tracks/${trackId}/hls/master.m3u8` : null,
  stream_error: null,
});

describe('TrackNotifier on the real server socket', () => {
  let server: RunningServer | undefined;
  let notifier: TrackNotifier | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    notifier?.close();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('notifies once when the owner’s track:status says ready', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-notify-'));
    server = await startServer(loadConfig({ VEZA_DATA_DIR: dir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'silent' }), { writeInfoFile: false });
    const me = (await (await fetch(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${server.ownerToken}` } })).json()) as User;
    const shown: TrackNotification[] = [];
    notifier = new TrackNotifier({ url: server.url, token: server.ownerToken, notify: (n) => shown.push(n) });
    await notifier.connected();

    const room = server.app.io.to(userRoom(me.id));
    room.emit('track:status', status(TRACK, 'processing', 50));
    room.emit('track:status', status(TRACK, 'ready', 100));
    room.emit('track:status', status(TRACK, 'ready', 100));
    const other = '9d0e4f38-1b1e-4a7c-8d55-6a1c8a6f2e01';
    room.emit('track:status', status(other, 'ready', 100));

    await waitFor(() => shown.length === 2 || undefined, { what: 'two notifications' });
    expect(shown.map((n) => n.trackId).sort()).toEqual([TRACK, other].sort());
    // Neither track exists, so there is no title to show.
    expect(shown.map((n) => n.body)).toEqual(['Your track is ready to stream.', 'Your track is ready to stream.']);
  });

  it('shows the title of an uploaded track once its transcode is ready', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-notify-'));
    server = await startServer(loadConfig({ VEZA_DATA_DIR: dir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'silent' }), { writeInfoFile: false });
    const shown: TrackNotification[] = [];
    notifier = new TrackNotifier({ url: server.url, token: server.ownerToken, notify: (n) => shown.push(n) });
    await notifier.connected();

    const wav = makeAudio(dir, 'tone.wav', { seconds: 2, codecArgs: AUDIO_FORMATS.wav });
    const body = multipartBody([
      { name: 'title', value: 'Night Drive' },
      { name: 'file', fileName: 'tone.wav', content: fs.readFileSync(wav) },
    ]);
    const created = await fetch(`${server.url}/api/v1/tracks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.ownerToken}`, 'Content-Type': body.contentType },
      body: body.payload,
    });
    expect(created.status).toBe(201);
    const track = (await created.json()) as Track;

    await waitFor(() => shown.length === 1 || undefined, { timeoutMs: 60_000, what: 'the ready notification' });
    expect(shown).toEqual([{ trackId: track.id, title: 'Track ready', body: '“Night Drive” is ready to stream.' }]);
  });

  it('reports a refused token instead of hanging', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-notify-'));
    server = await startServer(loadConfig({ VEZA_DATA_DIR: dir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'silent' }), { writeInfoFile: false });
    notifier = new TrackNotifier({ url: server.url, token: 'forged', notify: () => undefined });
    await expect(notifier.connected()).rejects.toThrow(/invalid token/i);
  });
});
