import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import type { WindowBounds } from './window-state.js';

/** The only webPreferences a Veza window may have: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    // Middle-click would otherwise open links in new windows, bypassing the window-open handler.
    disableBlinkFeatures: 'Auxclick',
    spellcheck: true,
  };
}

const DEFAULT_WINDOW_SIZE = { width: 1200, height: 800 } as const;
export const MIN_WINDOW_SIZE = { width: 900, height: 600 } as const;

export function mainWindowOptions(preloadPath: string, bounds: WindowBounds | null = null): BrowserWindowConstructorOptions {
  return {
    ...(bounds ?? DEFAULT_WINDOW_SIZE),
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Veza',
    backgroundColor: '#111318',
    show: false,
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/** Security-relevant preferences; `spellcheck` and the like may differ. */
const CHECKED_KEYS = [
  'preload',
  'contextIsolation',
  'sandbox',
  'nodeIntegration',
  'nodeIntegrationInWorker',
  'nodeIntegrationInSubFrames',
  'webSecurity',
  'allowRunningInsecureContent',
  'webviewTag',
  'experimentalFeatures',
  'navigateOnDragDrop',
] as const satisfies readonly (keyof WebPreferences)[];

/** Returns the names of webPreferences that differ from the secure set (empty when the window is safe). */
export function insecurePreferences(actual: WebPreferences, preloadPath: string): string[] {
  const expected = secureWebPreferences(preloadPath);
  return CHECKED_KEYS.filter((key) => actual[key] !== expected[key]);
}

/**
 * Electron's defaults for every checked key except `preload` are the secure values (contextIsolation
 * since Electron 12, sandbox since 20), so a key `getLastWebPreferences()` leaves out kept the secure one.
 */
function electronDefaults(): WebPreferences {
  const secure = secureWebPreferences('');
  return Object.fromEntries(CHECKED_KEYS.filter((key) => key !== 'preload').map((key) => [key, secure[key]])) as WebPreferences;
}

/** The runtime check: the preferences a live web contents ended up with, defaults filled in. */
export function insecureEffectivePreferences(reported: WebPreferences | null, preloadPath: string): string[] {
  if (!reported) return ['webPreferences unavailable'];
  return insecurePreferences({ ...electronDefaults(), ...stripUndefined(reported) }, preloadPath);
}

function stripUndefined(prefs: WebPreferences): WebPreferences {
  return Object.fromEntries(Object.entries(prefs).filter(([, value]) => value !== undefined)) as WebPreferences;
}

export class InsecureWindowError extends Error {
  constructor(readonly problems: string[]) {
    super(`insecure webPreferences: ${problems.join(', ')}`);
    this.name = 'InsecureWindowError';
  }
}

/**
 * The preferences Electron applied to a live web contents. `getLastWebPreferences()` exists at runtime
 * but is missing from Electron's type definitions; undefined when a future Electron drops it.
 */
export function effectivePreferences(contents: object): WebPreferences | null | undefined {
  const read = (contents as { getLastWebPreferences?: () => WebPreferences | null }).getLastWebPreferences;
  return typeof read === 'function' ? read.call(contents) : undefined;
}

interface SecureWindowLike {
  webContents: object;
  destroy(): void;
}

/**
 * The one way the app creates windows: refuses insecure options before construction and checks the
 * preferences Electron actually applied after it (destroying the window if they are not the secure set).
 */
export function createSecureWindow<W extends SecureWindowLike>(
  construct: (options: BrowserWindowConstructorOptions) => W,
  options: BrowserWindowConstructorOptions,
  preloadPath: string,
): W {
  const before = insecurePreferences(options.webPreferences ?? {}, preloadPath);
  if (before.length > 0) throw new InsecureWindowError(before);
  const window = construct(options);
  const applied = effectivePreferences(window.webContents);
  const after = applied === undefined ? [] : insecureEffectivePreferences(applied, preloadPath);
  if (after.length > 0) {
    window.destroy();
    throw new InsecureWindowError(after);
  }
  return window;
}
