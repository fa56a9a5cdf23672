import { describe, expect, it } from 'vitest';
import { validateSettings } from './desktop-settings.js';

const fields = (input: unknown) => {
  const result = validateSettings(input);
  return result.ok ? [] : result.errors.map((e) => e.field);
};

describe('validateSettings', () => {
  it('accepts solo with the default or an absolute data dir on any OS', () => {
    expect(validateSettings({ mode: 'solo', dataDir: null })).toEqual({ ok: true, settings: { mode: 'solo', dataDir: null } });
    for (const dir of ['/home/a/veza', 'C:\\Users\\a\\veza', 'D:/music', '\\\\nas\\share\\veza']) {
      expect(validateSettings({ mode: 'solo', dataDir: dir })).toEqual({ ok: true, settings: { mode: 'solo', dataDir: dir } });
    }
    expect(validateSettings({ mode: 'solo', dataDir: '' })).toEqual({ ok: true, settings: { mode: 'solo', dataDir: null } });
  });

  it('refuses relative, non-string and control-character data dirs', () => {
    expect(fields({ mode: 'solo', dataDir: 'relative/dir' })).toEqual(['dataDir']);
    expect(fields({ mode: 'solo', dataDir: 42 })).toEqual(['dataDir']);
    expect(fields({ mode: 'solo', dataDir: '/tmp/a\nb' })).toEqual(['dataDir']);
  });

  it('drops unknown keys instead of carrying them into the settings file', () => {
    const result = validateSettings({ mode: 'solo', dataDir: null, __proto__x: 1, nodeIntegration: true });
    expect(result).toEqual({ ok: true, settings: { mode: 'solo', dataDir: null } });
  });

  it('reduces a team server URL to its origin and requires https except on this machine', () => {
    expect(validateSettings({ mode: 'team-remote', serverUrl: 'https://veza.example.com/app?x=1' })).toEqual({
      ok: true,
      settings: { mode: 'team-remote', serverUrl: 'https://veza.example.com' },
    });
    expect(validateSettings({ mode: 'team-remote', serverUrl: 'http://127.0.0.1:4873' }).ok).toBe(true);
    expect(validateSettings({ mode: 'team-remote', serverUrl: 'http://localhost:4873' }).ok).toBe(true);
    expect(fields({ mode: 'team-remote', serverUrl: 'http://veza.example.com' })).toEqual(['serverUrl']);
    expect(fields({ mode: 'team-remote', serverUrl: 'https://user:pw@veza.example.com' })).toEqual(['serverUrl']);
    expect(fields({ mode: 'team-remote', serverUrl: 'file:///etc/passwd' })).toEqual(['serverUrl']);
    expect(fields({ mode: 'team-remote', serverUrl: 'javascript:alert(1)' })).toEqual(['serverUrl']);
    expect(fields({ mode: 'team-remote', serverUrl: 'not a url' })).toEqual(['serverUrl']);
    expect(fields({ mode: 'team-remote' })).toEqual(['serverUrl']);
  });

  it('checks the store URLs of an embedded team server', () => {
    expect(
      validateSettings({ mode: 'team-embedded', dataDir: null, databaseUrl: 'postgres://u:p@db:5432/veza', redisUrl: '' }),
    ).toEqual({ ok: true, settings: { mode: 'team-embedded', dataDir: null, databaseUrl: 'postgres://u:p@db:5432/veza', redisUrl: null } });
    expect(fields({ mode: 'team-embedded', databaseUrl: 'mysql://db/veza', redisUrl: 'http://redis' })).toEqual(['databaseUrl', 'redisUrl']);
    expect(fields({ mode: 'team-embedded', redisUrl: null })).toEqual(['databaseUrl']);
  });

  it('refuses an unknown mode and non-objects', () => {
    expect(fields({ mode: 'cloud' })).toEqual(['mode']);
    expect(fields(null)).toEqual(['mode']);
    expect(fields(['solo'])).toEqual(['mode']);
  });
});
