/**
 * Desktop settings: where the app's server lives. Pure TypeScript so the settings panel (renderer) and
 * the main process validate with the same rules.
 */

/** Solo: the embedded server on SQLite in a local data dir (null = the app's default dir). */
export interface SoloSettings {
  mode: 'solo';
  dataDir: string | null;
}

/** Team, remote: the window shows a Veza server run elsewhere; the user signs in there. */
interface TeamRemoteSettings {
  mode: 'team-remote';
  serverUrl: string;
}

/** Team, embedded: this app hosts the server, on a shared PostgreSQL (and optionally Redis). */
export interface TeamEmbeddedSettings {
  mode: 'team-embedded';
  dataDir: string | null;
  databaseUrl: string;
  redisUrl: string | null;
}

export type DesktopSettings = SoloSettings | TeamRemoteSettings | TeamEmbeddedSettings;
export type DesktopMode = DesktopSettings['mode'];

export const DEFAULT_SETTINGS: DesktopSettings = { mode: 'solo', dataDir: null };

export interface SettingsFieldError {
  field: string;
  message: string;
}

export type SettingsValidation = { ok: true; settings: DesktopSettings } | { ok: false; errors: SettingsFieldError[] };

const MAX_TEXT = 4096;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absolute on any OS (`/x`, `C:\x`, `\\server\share`), without control characters. */
function checkDataDir(value: unknown, errors: SettingsFieldError[]): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT) {
    errors.push({ field: 'dataDir', message: 'must be a folder path' });
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(value) || !/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(value)) {
    errors.push({ field: 'dataDir', message: 'must be an absolute folder path' });
    return null;
  }
  return value;
}

function parseUrl(value: unknown, field: string, errors: SettingsFieldError[]): URL | null {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT) {
    errors.push({ field, message: 'is required' });
    return null;
  }
  try {
    return new URL(value.trim());
  } catch {
    errors.push({ field, message: 'is not a valid URL' });
    return null;
  }
}

/**
 * A team server URL: https anywhere, plain http only on this machine (tokens would otherwise cross the
 * network in clear). Reduced to its origin, since the app lives at `/`.
 */
function checkServerUrl(value: unknown, errors: SettingsFieldError[]): string {
  const url = parseUrl(value, 'serverUrl', errors);
  if (!url) return '';
  if (url.username || url.password) errors.push({ field: 'serverUrl', message: 'must not contain a user name or password' });
  else if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    errors.push({ field: 'serverUrl', message: 'must use https:// (http:// only for this machine)' });
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    errors.push({ field: 'serverUrl', message: 'must be an https:// URL' });
  }
  return url.origin;
}

function checkStoreUrl(value: unknown, field: string, protocols: string[], errors: SettingsFieldError[]): string {
  const url = parseUrl(value, field, errors);
  if (!url) return '';
  if (!protocols.includes(url.protocol)) {
    errors.push({ field, message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}` });
  }
  return String(value).trim();
}

/** Checks untrusted input (IPC argument, file on disk) and returns clean settings or field errors. */
export function validateSettings(input: unknown): SettingsValidation {
  const errors: SettingsFieldError[] = [];
  if (!isRecord(input)) return { ok: false, errors: [{ field: 'mode', message: 'settings must be an object' }] };
  let settings: DesktopSettings;
  switch (input.mode) {
    case 'solo':
      settings = { mode: 'solo', dataDir: checkDataDir(input.dataDir, errors) };
      break;
    case 'team-remote':
      settings = { mode: 'team-remote', serverUrl: checkServerUrl(input.serverUrl, errors) };
      break;
    case 'team-embedded': {
      const hasRedis = input.redisUrl !== null && input.redisUrl !== undefined && input.redisUrl !== '';
      settings = {
        mode: 'team-embedded',
        dataDir: checkDataDir(input.dataDir, errors),
        databaseUrl: checkStoreUrl(input.databaseUrl, 'databaseUrl', ['postgres:', 'postgresql:'], errors),
        redisUrl: hasRedis ? checkStoreUrl(input.redisUrl, 'redisUrl', ['redis:', 'rediss:'], errors) : null,
      };
      break;
    }
    default:
      return { ok: false, errors: [{ field: 'mode', message: 'must be solo, team-remote or team-embedded' }] };
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings };
}
