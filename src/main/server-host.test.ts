import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startServer } from '../../server/server-process.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { Health } from '../shared/api.js';
import type { DesktopSettings } from '../shared/desktop-settings.js';
import { type EmbeddedSettings, embeddedServerConfig, ServerHost, unpackedAsarPath } from './server-host.js';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-host-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const configFor = (settings: EmbeddedSettings) =>
  embeddedServerConfig(settings, { defaultDataDir: path.join(dir, 'default'), rendererDir: null, ffmpegPath: null, env: { VEZA_LOG_LEVEL: 'silent' } });

async function health(url: string): Promise<Health> {
  const response = await fetch(`${url}/api/v1/health`);
  return (await response.json()) as Health;
}

async function isRefused(url: string): Promise<boolean> {
  return fetch(`${url}/api/v1/health`).then(
    () => false,
    () => true,
  );
}

describe('embeddedServerConfig', () => {
  it('binds loopback on a free port and lets the settings beat the environment', () => {
    const config = embeddedServerConfig(
      { mode: 'solo', dataDir: null },
      { defaultDataDir: '/data/solo', rendererDir: '/app/renderer', ffmpegPath: '/app/ffmpeg', env: { VEZA_DATABASE_URL: 'postgres://stray/db', VEZA_HOST: '0.0.0.0', VEZA_PORT: '80' } },
    );
    expect(config).toMatchObject({ mode: 'solo', host: '127.0.0.1', port: 0, databaseUrl: null, dataDir: '/data/solo', rendererDir: '/app/renderer', ffmpegPath: '/app/ffmpeg' });
    const team = embeddedServerConfig(
      { mode: 'team-embedded', dataDir: '/data/team', databaseUrl: 'postgres://db/veza', redisUrl: 'redis://cache' },
      { defaultDataDir: '/data/solo', rendererDir: null, ffmpegPath: null, env: { VEZA_FFMPEG_PATH: '/opt/ffmpeg' } },
    );
    expect(team).toMatchObject({ mode: 'team', databaseUrl: 'postgres://db/veza', redisUrl: 'redis://cache', dataDir: '/data/team', ffmpegPath: '/opt/ffmpeg' });
  });

  it('maps a path inside app.asar to the unpacked copy', () => {
    expect(unpackedAsarPath('/opt/Veza/resources/app.asar/node_modules/ffmpeg-static/ffmpeg', '/')).toBe(
      '/opt/Veza/resources/app.asar.unpacked/node_modules/ffmpeg-static/ffmpeg',
    );
    expect(unpackedAsarPath('C:\\Veza\\resources\\app.asar\\node_modules\\ffmpeg-static\\ffmpeg.exe', '\\')).toBe(
      'C:\\Veza\\resources\\app.asar.unpacked\\node_modules\\ffmpeg-static\\ffmpeg.exe',
    );
    expect(unpackedAsarPath('/usr/bin/ffmpeg', '/')).toBe('/usr/bin/ffmpeg');
  });
});

describe('ServerHost with the real server', () => {
  it('starts solo on loopback with an owner token, and stops it cleanly', async () => {
    const host = new ServerHost({ startServer, configFor });
    const dataDir = path.join(dir, 'solo');
    const connection = await host.start({ mode: 'solo', dataDir });
    expect(connection.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(connection.token).toBeTruthy();
    expect(host.dataDir).toBe(dataDir);
    const me = await fetch(`${connection.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${connection.token}` } });
    expect(me.status).toBe(200);
    expect((await health(connection.url)).mode).toBe('solo');
    expect(fs.existsSync(path.join(dataDir, 'server.json'))).toBe(true);

    await host.stop();
    expect(host.connection).toBeNull();
    expect(await isRefused(connection.url)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'server.json'))).toBe(false);
    await host.stop(); // idempotent
  });

  it('switches data dirs by stopping the old server before starting the new one', async () => {
    const host = new ServerHost({ startServer, configFor });
    const first = await host.start({ mode: 'solo', dataDir: path.join(dir, 'a') });
    const second = await host.switchTo({ mode: 'solo', dataDir: path.join(dir, 'b') });
    expect(await isRefused(first.url)).toBe(true);
    expect((await health(second.url)).status).toBe('ok');
    expect(fs.existsSync(path.join(dir, 'b', 'veza.db'))).toBe(true);
    await host.stop();
  });

  it('switches to an embedded team server on PostgreSQL and Redis, then to a remote server', async () => {
    const host = new ServerHost({ startServer, configFor });
    await host.start({ mode: 'solo', dataDir: path.join(dir, 'solo') });
    const databaseUrl = await createTestDatabase(inject('postgresUrl'));
    const team = await host.switchTo({ mode: 'team-embedded', dataDir: path.join(dir, 'team'), databaseUrl, redisUrl: inject('redisUrl') });
    expect(team.mode).toBe('team-embedded');
    // Each teammate signs in as themselves on a shared database: the owner token is not handed out.
    expect(team.token).toBeNull();
    const status = await health(team.url);
    expect(status).toMatchObject({ mode: 'team', checks: { db: { ok: true }, kv: { ok: true } } });

    const remote = await host.switchTo({ mode: 'team-remote', serverUrl: 'https://veza.example.com' });
    expect(remote).toEqual({ url: 'https://veza.example.com', token: null, mode: 'team-remote' });
    expect(host.dataDir).toBeNull();
    expect(await isRefused(team.url)).toBe(true);
    await host.stop();
  });

  it('restores the previous server when the new settings cannot start', async () => {
    const host = new ServerHost({ startServer, configFor });
    const before: DesktopSettings = { mode: 'solo', dataDir: path.join(dir, 'keep') };
    const first = await host.start(before);
    // A port nobody listens on: PostgreSQL refuses the connection.
    const unreachable = { mode: 'team-embedded', dataDir: path.join(dir, 'team'), databaseUrl: 'postgres://veza@127.0.0.1:1/veza', redisUrl: null } as const;
    await expect(host.switchTo(unreachable)).rejects.toThrow();
    expect(host.settings).toEqual(before);
    const restored = host.connection!;
    expect(restored.url).not.toBe(first.url);
    expect((await health(restored.url)).status).toBe('ok');
    await host.stop();
  });

  it('serializes concurrent calls: a stop during a switch waits for it and leaves nothing running', async () => {
    const host = new ServerHost({ startServer, configFor });
    await host.start({ mode: 'solo', dataDir: path.join(dir, 'a') });
    const switching = host.switchTo({ mode: 'solo', dataDir: path.join(dir, 'b') });
    const stopping = host.stop();
    const next = await switching;
    await stopping;
    expect(host.connection).toBeNull();
    expect(await isRefused(next.url)).toBe(true);
  });
});
