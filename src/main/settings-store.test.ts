import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type DesktopSettings } from '../shared/desktop-settings.js';
import { SettingsStore } from './settings-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-settings-'));
  file = path.join(dir, 'nested', 'settings.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore', () => {
  it('starts in solo mode when no file exists', () => {
    expect(new SettingsStore(file).load()).toEqual({ settings: DEFAULT_SETTINGS, problem: null });
  });

  it('round-trips every mode through an owner-only file and leaves no temp file behind', () => {
    const store = new SettingsStore(file);
    const all: DesktopSettings[] = [
      { mode: 'solo', dataDir: path.join(dir, 'data') },
      { mode: 'team-remote', serverUrl: 'https://veza.example.com' },
      { mode: 'team-embedded', dataDir: null, databaseUrl: 'postgres://u:secret@db/veza', redisUrl: 'redis://cache:6379' },
    ];
    for (const settings of all) {
      store.save(settings);
      expect(new SettingsStore(file).load()).toEqual({ settings, problem: null });
    }
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses to write invalid settings and keeps the previous file intact', () => {
    const store = new SettingsStore(file);
    store.save({ mode: 'team-remote', serverUrl: 'https://veza.example.com' });
    const before = fs.readFileSync(file, 'utf8');
    expect(() => store.save({ mode: 'team-remote', serverUrl: 'http://plain.example.com' })).toThrow(/serverUrl/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it.each([
    ['not JSON', '{ "version": 1, "settings": {'],
    ['an unknown version', JSON.stringify({ version: 99, settings: { mode: 'solo', dataDir: null } })],
    ['invalid settings', JSON.stringify({ version: 1, settings: { mode: 'team-remote', serverUrl: 'ftp://x' } })],
  ])('falls back to solo on %s and keeps the bad file aside', (_what, content) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    const loaded = new SettingsStore(file).load();
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problem).toBeTruthy();
    expect(fs.readFileSync(`${file}.invalid`, 'utf8')).toBe(content);
    expect(fs.existsSync(file)).toBe(false);
  });
});
