/**
 * The IPC contract between the Electron main process and the preload (`window.veza`). One entry per
 * channel: the preload's API and main's handlers are both derived from it, so they cannot drift.
 */
import type { DesktopMode, DesktopSettings, SettingsFieldError } from './desktop-settings.js';

export interface ConnectionInfo {
  /** Origin of the server the window talks to (the embedded one in solo mode). */
  url: string;
  /** Bearer token: the owner's per-launch token when the server is embedded; null for a remote team server (sign in there). */
  token: string | null;
  mode: DesktopMode;
}

/** An audio file picked in the native dialog, read by main so the sandboxed page can upload it. */
export interface PickedAudioFile {
  name: string;
  /** MIME type guessed from the extension. */
  type: string;
  data: Uint8Array;
}

export type RevealResult = { ok: true; path: string } | { ok: false; reason: 'remote-server' | 'not-found' };

export type SetSettingsResult =
  | { ok: true; settings: DesktopSettings; connection: ConnectionInfo }
  | { ok: false; code: 'INVALID'; errors: SettingsFieldError[] }
  | { ok: false; code: 'CANCELLED' }
  /** The server did not start with the new settings; the previous ones are back in force. */
  | { ok: false; code: 'START_FAILED'; message: string };

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  versions: { electron: string; chrome: string; node: string };
  mode: DesktopMode;
  /** Data dir of the embedded server; null with a remote team server. */
  dataDir: string | null;
}

/** Every channel: its arguments and its result. */
export interface IpcContract {
  getConnection: { args: []; result: ConnectionInfo };
  pickAudioFiles: { args: []; result: PickedAudioFile[] };
  revealTrackFiles: { args: [trackId: string]; result: RevealResult };
  getSettings: { args: []; result: DesktopSettings };
  setSettings: { args: [settings: DesktopSettings]; result: SetSettingsResult };
  getAppInfo: { args: []; result: AppInfo };
}

export type IpcMethod = keyof IpcContract;

export const IpcChannel: { readonly [K in IpcMethod]: `veza:${string}` } = {
  getConnection: 'veza:get-connection',
  pickAudioFiles: 'veza:pick-audio-files',
  revealTrackFiles: 'veza:reveal-track-files',
  getSettings: 'veza:get-settings',
  setSettings: 'veza:set-settings',
  getAppInfo: 'veza:get-app-info',
};

/** What the preload exposes as `window.veza`. */
export type VezaBridge = {
  readonly [K in IpcMethod]: (...args: IpcContract[K]['args']) => Promise<IpcContract[K]['result']>;
};
