import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

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
    spellcheck: true,
  };
}

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'Veza',
    backgroundColor: '#111318',
    show: false,
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/** Returns the names of webPreferences that differ from the secure set (empty when the window is safe). */
export function insecurePreferences(actual: WebPreferences, preloadPath: string): string[] {
  const expected = secureWebPreferences(preloadPath);
  return (Object.keys(expected) as (keyof WebPreferences)[]).filter(
    (key) => key !== 'spellcheck' && actual[key] !== expected[key],
  );
}

/** IPC is answered only for frames showing the app itself, never for a page that navigated elsewhere. */
export function isTrustedSender(senderUrl: string | undefined, appOrigin: string): boolean {
  if (!senderUrl) return false;
  try {
    return new URL(senderUrl).origin === appOrigin;
  } catch {
    return false;
  }
}
