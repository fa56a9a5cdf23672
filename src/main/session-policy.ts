/**
 * What every page of the app runs under, wired to Electron: guarded web contents, a destroyed window
 * for insecure preferences, permission decisions and the CSP on every response of the app's origin.
 * The decisions are web-guards.ts and window-options.ts; this module applies them to the structural
 * parts of Electron's `app` and `session` it names, so it is tested without Electron.
 */
import { guardWebContents, type GuardableWebContents, isPermissionAllowed, openInBrowser, withContentSecurityPolicy } from './web-guards.js';
import { effectivePreferences, insecureEffectivePreferences } from './window-options.js';

type Headers = Record<string, string[] | string>;

/** The events of Electron's `app` the policy listens to. */
export interface PolicyApp {
  on(event: 'web-contents-created', listener: (event: unknown, contents: GuardableWebContents) => void): unknown;
  on(event: 'browser-window-created', listener: (event: unknown, window: { webContents: object; destroy(): void }) => void): unknown;
}

/** The handlers of Electron's `session.defaultSession` the policy sets. */
export interface PolicySession {
  setPermissionRequestHandler(handler: (contents: { getURL(): string }, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (contents: unknown, permission: string, requestingOrigin: string) => boolean): void;
  webRequest: {
    onHeadersReceived(listener: (details: { url: string; responseHeaders?: Headers }, callback: (response: { responseHeaders: Headers }) => void) => void): void;
  };
}

export interface SessionPolicyOptions {
  app: PolicyApp;
  session: PolicySession;
  shell: { openExternal(url: string): Promise<void> };
  /** Origin of the server the window shows now (it changes with the settings); null before the first start. */
  appOrigin(): string | null;
  preloadPath: string;
  log(message: string): void;
}

/** Installs the policy; every handler reads the current origin, so a switch of server needs no reinstall. */
export function applySessionPolicy({ app, session, shell, appOrigin, preloadPath, log }: SessionPolicyOptions): void {
  // With no server yet, 'null' is an origin no URL has: nothing navigates, nothing is granted.
  const origin = () => appOrigin() ?? 'null';

  app.on('web-contents-created', (_event, contents) => {
    guardWebContents(contents, { appOrigin: origin, openInBrowser: (url) => openInBrowser(shell, url) });
  });
  // The runtime check: a window whose effective preferences are not the secure set is destroyed at once.
  app.on('browser-window-created', (_event, created) => {
    const applied = effectivePreferences(created.webContents);
    const problems = applied === undefined ? [] : insecureEffectivePreferences(applied, preloadPath);
    if (problems.length > 0) {
      log(`veza: destroying a window with insecure webPreferences: ${problems.join(', ')}`);
      created.destroy();
    }
  });

  session.setPermissionRequestHandler((contents, permission, callback) => callback(isPermissionAllowed(permission, contents.getURL(), appOrigin() ?? '')));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin, appOrigin() ?? ''));
  session.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: withContentSecurityPolicy(details.url, details.responseHeaders, appOrigin() ?? '') }),
  );
}
