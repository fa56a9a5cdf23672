import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to solo mode on loopback port 4873 with HLS on and sign-up closed', () => {
    const config = loadConfig({ VEZA_DATA_DIR: '/tmp/veza-x' });
    expect(config).toMatchObject({ mode: 'solo', host: '127.0.0.1', port: 4873, hlsEnabled: true, allowSignup: false, databaseUrl: null, redisUrl: null });
  });

  it('a postgres URL means team mode, where sign-up defaults to open', () => {
    const config = loadConfig({ VEZA_DATABASE_URL: 'postgres://u:p@db.local:5432/veza', VEZA_REDIS_URL: 'redis://kv.local:6379' });
    expect(config).toMatchObject({ mode: 'team', allowSignup: true, redisUrl: 'redis://kv.local:6379' });
  });

  it('reads booleans, ports and lists', () => {
    const config = loadConfig({ VEZA_HLS: 'off', VEZA_ALLOW_SIGNUP: 'YES', VEZA_PORT: '0', VEZA_PUBLIC_HOSTS: 'Veza.Example.org, other.test:8443' });
    expect(config).toMatchObject({ hlsEnabled: false, allowSignup: true, port: 0, publicHosts: ['veza.example.org', 'other.test:8443'] });
  });

  it.each([
    ['VEZA_PORT', 'abc'],
    ['VEZA_PORT', '65536'],
    ['VEZA_PORT', '-1'],
    ['VEZA_HLS', 'maybe'],
    ['VEZA_DATABASE_URL', 'not a url'],
    ['VEZA_DATABASE_URL', 'mysql://x/y'],
    ['VEZA_REDIS_URL', 'http://x'],
    ['VEZA_LOG_LEVEL', 'loud'],
    ['VEZA_HOST', 'bad host!'],
    ['VEZA_SESSION_TTL_DAYS', '0'],
  ])('%s=%j is a ConfigError naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});
