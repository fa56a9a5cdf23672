import os from 'node:os';
import path from 'node:path';
import type { ServerMode } from '../src/shared/api.js';

/** Everything the server needs to know, read and validated once. Nothing else reads process.env. */
export interface Config {
  mode: ServerMode;
  dataDir: string;
  /** Uploads, HLS ladders and the stream-token key: shared by team instances (VEZA_MEDIA_DIR, default `<dataDir>/media`). */
  mediaDir: string;
  host: string;
  port: number;
  databaseUrl: string | null;
  redisUrl: string | null;
  hlsEnabled: boolean;
  allowSignup: boolean;
  ffmpegPath: string | null;
  /** Extra Host header values accepted besides the loopback names (a team server behind a proxy). */
  publicHosts: string[];
  /** Addresses of reverse proxies whose X-Forwarded-For is believed (client address for limits and logs). */
  trustedProxies: string[];
  /** Built renderer to serve at `/`; null serves a placeholder page. */
  rendererDir: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Lifetime of login tokens. */
  sessionTtlMs: number;
  /** Largest accepted upload (VEZA_MAX_UPLOAD_MB, default 1 GiB). */
  maxUploadBytes: number;
  /** Cores the transcode queue may keep busy (VEZA_TRANSCODE_CORES, default: all). */
  transcodeCores: number;
  /** FFmpeg's AAC coder (VEZA_AAC_CODER): `twoloop` (default, better quality) or `fast` (about half the CPU). */
  aacCoder: AacCoder;
  /**
   * Solo mode's SQLite `synchronous` (VEZA_SQLITE_SYNCHRONOUS): `full` (default) keeps every acknowledged
   * write through a power loss; `normal` only through a crash of the app (see README, Durability).
   */
  sqliteSynchronous: SqliteSynchronous;
  /** AAC bitrates of the HLS ladder in kb/s, ascending (VEZA_HLS_LADDER, default 128,256,320). */
  hlsLadderKbps: number[];
  /** Lifetime of HLS stream tokens in seconds (VEZA_STREAM_TOKEN_TTL_S, default 1 h). */
  streamTokenTtlS: number;
  /** Stream-token keys `kid:secret,…`, first one signs (VEZA_STREAM_KEYS; team mode). Unset: a key file in the data dir. */
  streamKeys: Array<{ kid: string; secret: string }> | null;
  /** Team mode: a transcode job whose worker was silent this long is claimed again (VEZA_JOB_LEASE_S, default 60). */
  jobLeaseMs: number;
  /** An online user whose instance stops renewing their presence goes offline after this (VEZA_PRESENCE_TTL_S, default 120). */
  presenceTtlMs: number;
  /** A connection with no bytes either way for this long is closed (a progressing upload never is). */
  idleTimeoutMs: number;
  /** Open connections one client address may hold (127.0.0.1 and ::1 are exempt: the desktop window, a local proxy). */
  maxConnectionsPerClient: number;
  /** Bearer token for `/metrics`; null serves them to loopback clients only. */
  metricsToken: string | null;
  /** Memory for hot HLS files (VEZA_HLS_CACHE_MB, default 64). */
  hlsCacheBytes: number;
}

const AAC_CODERS = ['twoloop', 'fast'] as const;
const SQLITE_SYNCHRONOUS = ['full', 'normal'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];
export type AacCoder = (typeof AAC_CODERS)[number];

/** A bad setting: names the variable so the operator knows what to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function defaultDataDir(platform = process.platform, env: Env = process.env): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'veza');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'veza');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'veza');
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = readUrl(env, 'VEZA_DATABASE_URL', ['postgres:', 'postgresql:']);
  const mode: ServerMode = databaseUrl ? 'team' : 'solo';
  const dataDir = path.resolve(nonEmpty(env.VEZA_DATA_DIR) ?? defaultDataDir());
  const config: Config = {
    mode,
    dataDir,
    mediaDir: path.resolve(nonEmpty(env.VEZA_MEDIA_DIR) ?? path.join(dataDir, 'media')),
    host: readHost(env),
    port: readPort(env),
    databaseUrl,
    redisUrl: readUrl(env, 'VEZA_REDIS_URL', ['redis:', 'rediss:']),
    hlsEnabled: readBool(env, 'VEZA_HLS', true),
    allowSignup: readBool(env, 'VEZA_ALLOW_SIGNUP', mode === 'team'),
    ffmpegPath: nonEmpty(env.VEZA_FFMPEG_PATH) ?? null,
    publicHosts: readList(env, 'VEZA_PUBLIC_HOSTS'),
    trustedProxies: readList(env, 'VEZA_TRUSTED_PROXIES'),
    rendererDir: nonEmpty(env.VEZA_RENDERER_DIR) ?? null,
    logLevel: readEnum(env, 'VEZA_LOG_LEVEL', LOG_LEVELS, 'info'),
    sessionTtlMs: readPositiveInt(env, 'VEZA_SESSION_TTL_DAYS', 30) * 24 * 3600 * 1000,
    maxUploadBytes: readPositiveInt(env, 'VEZA_MAX_UPLOAD_MB', 1024) * 1024 * 1024,
    transcodeCores: readPositiveInt(env, 'VEZA_TRANSCODE_CORES', os.availableParallelism()),
    aacCoder: readEnum(env, 'VEZA_AAC_CODER', AAC_CODERS, 'twoloop'),
    sqliteSynchronous: readEnum(env, 'VEZA_SQLITE_SYNCHRONOUS', SQLITE_SYNCHRONOUS, 'full'),
    hlsLadderKbps: readLadder(env, 'VEZA_HLS_LADDER', [128, 256, 320]),
    streamTokenTtlS: readPositiveInt(env, 'VEZA_STREAM_TOKEN_TTL_S', 3600),
    streamKeys: readKeys(env, 'VEZA_STREAM_KEYS'),
    hlsCacheBytes: readPositiveInt(env, 'VEZA_HLS_CACHE_MB', 64) * 1024 * 1024,
    jobLeaseMs: readPositiveInt(env, 'VEZA_JOB_LEASE_S', 60) * 1000,
    presenceTtlMs: readPositiveInt(env, 'VEZA_PRESENCE_TTL_S', 120) * 1000,
    idleTimeoutMs: readPositiveInt(env, 'VEZA_IDLE_TIMEOUT_S', 60) * 1000,
    maxConnectionsPerClient: readPositiveInt(env, 'VEZA_MAX_CONNECTIONS_PER_CLIENT', 200),
    metricsToken: nonEmpty(env.VEZA_METRICS_TOKEN) ?? null,
  };
  return { ...config, ...overrides };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readPort(env: Env): number {
  const raw = nonEmpty(env.VEZA_PORT);
  if (raw === undefined) return 4873;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError('VEZA_PORT', `expected a port number 0-65535, got "${raw}"`);
  }
  return Number(raw);
}

function readHost(env: Env): string {
  const raw = nonEmpty(env.VEZA_HOST) ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw new ConfigError('VEZA_HOST', `not a host name or address: "${raw}"`);
  return raw;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`);
}

function readPositiveInt(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(name, `expected a positive integer, got "${raw}"`);
  return Number(raw);
}

function readEnum<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** Comma-separated AAC bitrates in kb/s: ascending, unique, within what AAC-LC stereo can use. */
function readLadder(env: Env, name: string, fallback: number[]): number[] {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const rungs = raw.split(',').map((item) => item.trim());
  const isValid =
    rungs.length >= 1 &&
    rungs.length <= 8 &&
    rungs.every((r) => /^\d+$/.test(r) && Number(r) >= 32 && Number(r) <= 512) &&
    rungs.every((r, i) => i === 0 || Number(r) > Number(rungs[i - 1]));
  if (!isValid) throw new ConfigError(name, `expected 1-8 ascending bitrates in kb/s between 32 and 512 (e.g. 128,256,320), got "${raw}"`);
  return rungs.map(Number);
}

function readKeys(env: Env, name: string): Array<{ kid: string; secret: string }> | null {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return null;
  return raw.split(',').map((item) => {
    const match = /^([a-z0-9]{1,16}):(.{32,})$/.exec(item.trim());
    if (!match) throw new ConfigError(name, 'expected kid:secret pairs (kid 1-16 of [a-z0-9], secret at least 32 characters), comma-separated');
    return { kid: match[1]!, secret: match[2]! };
  });
}

function readList(env: Env, name: string): string[] {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
}

function readUrl(env: Env, name: string, protocols: string[]): string | null {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
  }
  return raw;
}
