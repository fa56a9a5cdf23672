import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { applySessionPolicy, type PolicyApp, type PolicySession } from './session-policy.js';

const PRELOAD = '/app/out/preload/index.cjs';

/** Electron's app and session as plain objects: the policy only registers listeners and handlers on them. */
function fakeElectron() {
  const app = new EventEmitter();
  const handlers: {
    request?: Parameters<PolicySession['setPermissionRequestHandler']>[0];
    check?: Parameters<PolicySession['setPermissionCheckHandler']>[0];
    headers?: Parameters<PolicySession['webRequest']['onHeadersReceived']>[0];
  } = {};
  const session: PolicySession = {
    setPermissionRequestHandler: (handler) => void (handlers.request = handler),
    setPermissionCheckHandler: (handler) => void (handlers.check = handler),
    webRequest: { onHeadersReceived: (listener) => void (handlers.headers = listener) },
  };
  const opened: string[] = [];
  const logged: string[] = [];
  let origin: string | null = null;
  applySessionPolicy({
    app: app as unknown as PolicyApp,
    session,
    shell: { openExternal: async (url) => void opened.push(url) },
    appOrigin: () => origin,
    preloadPath: PRELOAD,
    log: (message) => logged.push(message),
  });
  return { app, handlers, opened, logged, setOrigin: (next: string | null) => (origin = next) };
}

function fakeContents() {
  const contents = new EventEmitter() as EventEmitter & { windowOpen?: (details: { url: string }) => { action: 'deny' } };
  Object.assign(contents, { setWindowOpenHandler: (handler: typeof contents.windowOpen) => (contents.windowOpen = handler) });
  return contents;
}

describe('session policy', () => {
  it('guards every web contents against the origin of the server shown now, which may change', () => {
    const electron = fakeElectron();
    const contents = fakeContents();
    electron.app.emit('web-contents-created', {}, contents);
    const navigate = (url: string) => {
      let prevented = false;
      contents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    // Before any server runs nothing is the app: every navigation is refused.
    expect(navigate('http://127.0.0.1:4000/')).toBe(true);
    electron.setOrigin('http://127.0.0.1:4000');
    expect(navigate('http://127.0.0.1:4000/library')).toBe(false);
    electron.setOrigin('https://veza.example.org');
    expect(navigate('http://127.0.0.1:4000/library')).toBe(true);
    expect(contents.windowOpen?.({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(electron.opened).toEqual(['https://example.com/help']);
  });

  it('destroys a window whose effective preferences are not the secure set, and says why', () => {
    const electron = fakeElectron();
    let destroyed = false;
    const webContents = { getLastWebPreferences: () => ({ contextIsolation: false, sandbox: true, nodeIntegration: false, preload: PRELOAD }) };
    electron.app.emit('browser-window-created', {}, { webContents, destroy: () => (destroyed = true) });
    expect(destroyed).toBe(true);
    expect(electron.logged.join('\n')).toContain('contextIsolation');
  });

  it('grants permissions and sets the CSP only for the current app origin', () => {
    const electron = fakeElectron();
    electron.setOrigin('http://127.0.0.1:4000');
    const answers: boolean[] = [];
    electron.handlers.request?.({ getURL: () => 'http://127.0.0.1:4000/' }, 'clipboard-sanitized-write', (granted) => answers.push(granted));
    electron.handlers.request?.({ getURL: () => 'http://127.0.0.1:4000/' }, 'media', (granted) => answers.push(granted));
    expect(answers).toEqual([true, false]);
    expect(electron.handlers.check?.({}, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false);

    const responses: Array<Record<string, string[] | string>> = [];
    electron.handlers.headers?.({ url: 'http://127.0.0.1:4000/', responseHeaders: {} }, ({ responseHeaders }) => responses.push(responseHeaders));
    electron.handlers.headers?.({ url: 'https://cdn.example/x.js', responseHeaders: {} }, ({ responseHeaders }) => responses.push(responseHeaders));
    expect(Object.keys(responses[0]!).map((name) => name.toLowerCase())).toContain('content-security-policy');
    expect(Object.keys(responses[1]!).map((name) => name.toLowerCase())).not.toContain('content-security-policy');
  });
});
