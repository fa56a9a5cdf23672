/**
 * The implementation behind `window.veza`: plain functions over injected Electron pieces (dialogs,
 * shell), so they run in tests without Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AUDIO_MIME_TYPES, type AudioExtension } from '../shared/audio-files.js';
import { type DesktopSettings, validateSettings } from '../shared/desktop-settings.js';
import type { AppInfo, ConnectionInfo, PickedAudioFile, RevealResult, SetSettingsResult } from '../shared/ipc.js';
import type { IpcHandlers } from './ipc-validation.js';
import type { ServerHost } from './server-host.js';
import type { SettingsStore } from './settings-store.js';

/** Picked files travel to the page in memory; beyond this size they are refused with a clear message. */
const MAX_PICKED_FILE_BYTES = 512 * 1024 * 1024;

export function audioMimeType(fileName: string): string {
  const extension = path.extname(fileName).slice(1).toLowerCase();
  return Object.hasOwn(AUDIO_MIME_TYPES, extension) ? AUDIO_MIME_TYPES[extension as AudioExtension] : 'application/octet-stream';
}

/**
 * Where a track's files may live in the data dir, most useful first. The tracks feature owns the
 * layout; these are the folders named in ARCHITECTURE.md (`hls/<id>/`) and the upload store.
 */
function trackFileCandidates(dataDir: string, trackId: string): string[] {
  return ['hls', 'originals', 'uploads', 'tracks'].map((folder) => path.join(dataDir, folder, trackId));
}

export interface DesktopApiDeps {
  host: ServerHost;
  settingsStore: SettingsStore;
  /** Native open dialog: absolute paths the user chose (empty when cancelled). */
  chooseAudioFiles(): Promise<string[]>;
  /** Native confirmation before the server is switched (a page cannot click through it). */
  confirmSettingsChange(next: DesktopSettings): Promise<boolean>;
  showInFolder(fullPath: string): void;
  appInfo(): Omit<AppInfo, 'mode' | 'dataDir'>;
  /** Called after a successful switch, once the answer is on its way: reload the window on the new server. */
  onConnectionChanged(connection: ConnectionInfo): void;
}

function sameSettings(a: DesktopSettings, b: DesktopSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function createDesktopApi(deps: DesktopApiDeps): IpcHandlers {
  const { host } = deps;
  return {
    getConnection(): ConnectionInfo {
      const connection = host.connection;
      if (!connection) throw new Error('the server is restarting');
      return connection;
    },

    async pickAudioFiles(): Promise<PickedAudioFile[]> {
      const paths = await deps.chooseAudioFiles();
      const files: PickedAudioFile[] = [];
      for (const file of paths) {
        const { size } = await fs.promises.stat(file);
        if (size > MAX_PICKED_FILE_BYTES) {
          throw new Error(`${path.basename(file)} is larger than ${MAX_PICKED_FILE_BYTES / 1024 / 1024} MB: drop it on the window instead`);
        }
        const data = new Uint8Array(await fs.promises.readFile(file));
        files.push({ name: path.basename(file), type: audioMimeType(file), data });
      }
      return files;
    },

    revealTrackFiles(trackId: string): RevealResult {
      const dataDir = host.dataDir;
      if (!dataDir) return { ok: false, reason: 'remote-server' };
      const root = path.resolve(dataDir);
      for (const candidate of trackFileCandidates(root, trackId)) {
        // trackId is a validated UUID; the prefix check keeps that promise if the layout ever changes.
        if (!path.resolve(candidate).startsWith(root + path.sep) || !fs.existsSync(candidate)) continue;
        deps.showInFolder(candidate);
        return { ok: true, path: candidate };
      }
      return { ok: false, reason: 'not-found' };
    },

    getSettings(): DesktopSettings {
      return host.settings ?? deps.settingsStore.load().settings;
    },

    async setSettings(raw: Record<string, unknown>): Promise<SetSettingsResult> {
      const result = validateSettings(raw);
      if (!result.ok) return { ok: false, code: 'INVALID', errors: result.errors };
      const next = result.settings;
      const current = host.settings;
      if (current && sameSettings(current, next) && host.connection) {
        return { ok: true, settings: next, connection: host.connection };
      }
      if (!(await deps.confirmSettingsChange(next))) return { ok: false, code: 'CANCELLED' };
      let connection: ConnectionInfo;
      try {
        connection = await host.switchTo(next);
      } catch (error) {
        return { ok: false, code: 'START_FAILED', message: (error as Error).message };
      }
      deps.settingsStore.save(next);
      // After the reply is sent: reloading first would drop the answer with the old page.
      setImmediate(() => deps.onConnectionChanged(connection));
      return { ok: true, settings: next, connection };
    },

    getAppInfo(): AppInfo {
      return { ...deps.appInfo(), mode: host.settings?.mode ?? 'solo', dataDir: host.dataDir };
    },
  };
}
