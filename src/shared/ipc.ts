/** The IPC contract between the Electron main process and the preload (`window.veza`). */

export interface ConnectionInfo {
  /** Base URL of the server the window talks to (the embedded one in solo mode). */
  url: string;
  /** Bearer token for that server: the owner's per-launch token in solo mode. */
  token: string;
}

export const IpcChannel = {
  getConnection: 'veza:get-connection',
} as const;

/** What the preload exposes as `window.veza`. */
export interface VezaBridge {
  getConnection(): Promise<ConnectionInfo>;
}
