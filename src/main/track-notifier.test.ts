import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { userRoom } from '../../server/infra/socket.js';
import { type RunningServer, startServer } from '../../server/server-process.js';
import { waitFor } from '../../test/support/free-port.js';
import type { User } from '../shared/api.js';
import { readyNotification, type TrackNotification, TrackNotifier } from './track-notifier.js';

const TRACK = '0b6f1c9e-6a57-4a1e-9f44-2b8f0b3c6d11';

describe('readyNotification', () => {
  it('announces a track that became ready, with its title when known', () => {
    expect(readyNotification({ track_id: TRACK, status: 'ready', progress: 100, title: 'Night Drive' })).toEqual({
      trackId: TRACK,
      title: 'Track ready',
      body: '“Night Drive” is ready to stream.',
    });
    expect(readyNotification({ id: TRACK, stream_status: 'ready' })?.body).toBe('Your track is ready to stream.');
    expect(readyNotification({ track: { id: TRACK, stream_status: 'ready', title: 'X' } })?.body).toBe('“X” is ready to stream.');
  });

  it('stays quiet for progress, failures and junk', () => {
    expect(readyNotification({ track_id: TRACK, status: 'processing', progress: 40 })).toBeNull();
    expect(readyNotification({ track_id: TRACK, status: 'failed' })).toBeNull();
    expect(readyNotification({ status: 'ready' })).toBeNull();
    expect(readyNotification('ready')).toBeNull();
    expect(readyNotification(null)).toBeNull();
  });
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
    room.emit('track:status', { track_id: TRACK, status: 'processing', progress: 50 });
    room.emit('track:status', { track_id: TRACK, status: 'ready', progress: 100, title: 'Night Drive' });
    room.emit('track:status', { track_id: TRACK, status: 'ready', progress: 100, title: 'Night Drive' });
    const other = '9d0e4f38-1b1e-4a7c-8d55-6a1c8a6f2e01';
    room.emit('track:status', { track_id: other, status: 'ready' });

    await waitFor(() => shown.length === 2 || undefined, { what: 'two notifications' });
    expect(shown.map((n) => n.trackId)).toEqual([TRACK, other]);
  });

  it('reports a refused token instead of hanging', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-notify-'));
    server = await startServer(loadConfig({ VEZA_DATA_DIR: dir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'silent' }), { writeInfoFile: false });
    notifier = new TrackNotifier({ url: server.url, token: 'forged', notify: () => undefined });
    await expect(notifier.connected()).rejects.toThrow(/invalid token/i);
  });
});
