import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/server-process.js';
import { waitFor } from '../../test/support/free-port.js';
import type { DesktopSettings } from '../shared/desktop-settings.js';
import type { ConnectionInfo } from '../shared/ipc.js';
import { audioMimeType, createDesktopApi, type DesktopApiDeps } from './desktop-api.js';
import { embeddedServerConfig, ServerHost } from './server-host.js';
import { SettingsStore } from './settings-store.js';

const TRACK = '0b6f1c9e-6a57-4a1e-9f44-2b8f0b3c6d11';
let dir: string;
let host: ServerHost;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-api-'));
  host = new ServerHost({
    startServer,
    configFor: (s) => embeddedServerConfig(s, { defaultDataDir: path.join(dir, 'data'), rendererDir: null, ffmpegPath: null, env: { VEZA_LOG_LEVEL: 'silent' } }),
  });
});
afterEach(async () => {
  await host.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function api(overrides: Partial<DesktopApiDeps> = {}) {
  const revealed: string[] = [];
  const reloaded: ConnectionInfo[] = [];
  const settingsStore = new SettingsStore(path.join(dir, 'settings.json'));
  const handlers = createDesktopApi({
    host,
    settingsStore,
    chooseAudioFiles: async () => [],
    confirmSettingsChange: async () => true,
    showInFolder: (p) => revealed.push(p),
    appInfo: () => ({ name: 'Veza', version: '1.2.3', platform: 'linux', versions: { electron: '45.4.1', chrome: 'x', node: 'y' } }),
    onConnectionChanged: (c) => reloaded.push(c),
    ...overrides,
  });
  return { handlers, revealed, reloaded, settingsStore };
}

describe('desktop API', () => {
  it('gives the page the embedded server and app info', async () => {
    const started = await host.start({ mode: 'solo', dataDir: null });
    const { handlers } = api();
    expect(handlers.getConnection()).toEqual(started);
    expect(handlers.getAppInfo()).toMatchObject({ name: 'Veza', version: '1.2.3', mode: 'solo', dataDir: path.join(dir, 'data') });
    expect(handlers.getSettings()).toEqual({ mode: 'solo', dataDir: null });
  });

  it('answers field errors for invalid settings without touching the server', async () => {
    const started = await host.start({ mode: 'solo', dataDir: null });
    const { handlers, settingsStore } = api();
    const result = await handlers.setSettings({ mode: 'team-remote', serverUrl: 'http://plain.example.com' });
    expect(result).toEqual({ ok: false, code: 'INVALID', errors: [{ field: 'serverUrl', message: expect.stringContaining('https') }] });
    expect(host.connection).toEqual(started);
    expect(settingsStore.load().settings).toEqual({ mode: 'solo', dataDir: null });
  });

  it('changes nothing when the user declines the native confirmation', async () => {
    const started = await host.start({ mode: 'solo', dataDir: null });
    const { handlers, reloaded } = api({ confirmSettingsChange: async () => false });
    expect(await handlers.setSettings({ mode: 'solo', dataDir: path.join(dir, 'other') })).toEqual({ ok: false, code: 'CANCELLED' });
    expect(host.connection).toEqual(started);
    expect(reloaded).toEqual([]);
  });

  it('switches, saves the settings, then reloads the window on the new server', async () => {
    const first = await host.start({ mode: 'solo', dataDir: null });
    const { handlers, reloaded, settingsStore } = api();
    const next: DesktopSettings = { mode: 'solo', dataDir: path.join(dir, 'other') };
    const result = await handlers.setSettings({ ...next });
    expect(result).toMatchObject({ ok: true, settings: next });
    expect(reloaded).toEqual([]); // not before the answer has left
    await waitFor(() => reloaded.length === 1 || undefined, { what: 'reload' });
    expect(reloaded[0]!.url).not.toBe(first.url);
    expect(settingsStore.load().settings).toEqual(next);
    expect((await fetch(`${reloaded[0]!.url}/api/v1/health`)).status).toBe(200);
  });

  it('reports START_FAILED and keeps the previous settings when the new server cannot start', async () => {
    await host.start({ mode: 'solo', dataDir: null });
    const { handlers, settingsStore } = api();
    const result = await handlers.setSettings({ mode: 'team-embedded', databaseUrl: 'postgres://veza@127.0.0.1:1/veza', redisUrl: null });
    expect(result).toMatchObject({ ok: false, code: 'START_FAILED' });
    expect(host.settings).toEqual({ mode: 'solo', dataDir: null });
    expect(fs.existsSync(path.join(dir, 'settings.json'))).toBe(false);
    expect(settingsStore.load().settings).toEqual({ mode: 'solo', dataDir: null });
  });

  it('reveals a track folder inside the data dir, and nothing for a remote server', async () => {
    await host.start({ mode: 'solo', dataDir: null });
    const { handlers, revealed } = api();
    expect(handlers.revealTrackFiles(TRACK)).toEqual({ ok: false, reason: 'not-found' });
    const hlsDir = path.join(dir, 'data', 'hls', TRACK);
    fs.mkdirSync(hlsDir, { recursive: true });
    expect(handlers.revealTrackFiles(TRACK)).toEqual({ ok: true, path: hlsDir });
    expect(revealed).toEqual([hlsDir]);

    await host.switchTo({ mode: 'team-remote', serverUrl: 'https://veza.example.com' });
    expect(handlers.revealTrackFiles(TRACK)).toEqual({ ok: false, reason: 'remote-server' });
  });

  it('reads the picked audio files for the page to upload', async () => {
    await host.start({ mode: 'solo', dataDir: null });
    const file = path.join(dir, 'Night Drive.FLAC');
    fs.writeFileSync(file, Buffer.from([1, 2, 3, 4]));
    const { handlers } = api({ chooseAudioFiles: async () => [file] });
    const [picked, ...rest] = await handlers.pickAudioFiles();
    expect(rest).toEqual([]);
    expect(picked).toEqual({ name: 'Night Drive.FLAC', type: 'audio/flac', data: new Uint8Array([1, 2, 3, 4]) });
    expect(await api({ chooseAudioFiles: async () => [] }).handlers.pickAudioFiles()).toEqual([]);
    expect(audioMimeType('a.mp3')).toBe('audio/mpeg');
    expect(audioMimeType('a.exe')).toBe('application/octet-stream');
  });
});
