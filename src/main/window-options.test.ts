import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { describe, expect, it } from 'vitest';
import {
  createSecureWindow,
  effectivePreferences,
  insecureEffectivePreferences,
  insecurePreferences,
  InsecureWindowError,
  mainWindowOptions,
  secureWebPreferences,
} from './window-options.js';

const PRELOAD = '/app/out/preload/index.cjs';

describe('window options', () => {
  it('the main window uses exactly the secure preferences', () => {
    const options = mainWindowOptions(PRELOAD);
    expect(options.webPreferences).toEqual(secureWebPreferences(PRELOAD));
    expect(insecurePreferences(options.webPreferences!, PRELOAD)).toEqual([]);
    expect(options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(options.show).toBe(false);
  });

  it('restores remembered bounds', () => {
    expect(mainWindowOptions(PRELOAD, { x: 10, y: 20, width: 1000, height: 700 })).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 });
  });

  it('names every weakened preference', () => {
    const weak: WebPreferences = { ...secureWebPreferences(PRELOAD), nodeIntegration: true, sandbox: false, webSecurity: false, preload: '/tmp/evil.js' };
    expect(insecurePreferences(weak, PRELOAD).sort()).toEqual(['nodeIntegration', 'preload', 'sandbox', 'webSecurity']);
    expect(insecurePreferences({}, PRELOAD)).toContain('contextIsolation');
  });

  it('fills Electron defaults into reported preferences before checking', () => {
    expect(insecureEffectivePreferences({ preload: PRELOAD, navigateOnDragDrop: false }, PRELOAD)).toEqual([]);
    expect(insecureEffectivePreferences({ preload: PRELOAD, contextIsolation: false }, PRELOAD)).toEqual(['contextIsolation']);
    expect(insecureEffectivePreferences(null, PRELOAD)).toEqual(['webPreferences unavailable']);
  });
});

class FakeWindow {
  isDestroyed = false;
  constructor(
    readonly options: BrowserWindowConstructorOptions,
    applied: WebPreferences | null | 'no-api',
  ) {
    this.webContents = applied === 'no-api' ? {} : { getLastWebPreferences: () => applied };
  }
  webContents: object;
  destroy() {
    this.isDestroyed = true;
  }
}

describe('createSecureWindow (the runtime check every window goes through)', () => {
  it('creates a window whose applied preferences are the secure set', () => {
    const window = createSecureWindow((o) => new FakeWindow(o, o.webPreferences!), mainWindowOptions(PRELOAD), PRELOAD);
    expect(window.isDestroyed).toBe(false);
    expect(effectivePreferences(window.webContents)).toEqual(secureWebPreferences(PRELOAD));
  });

  it('refuses insecure options before constructing anything', () => {
    let constructed = 0;
    const options = { ...mainWindowOptions(PRELOAD), webPreferences: { ...secureWebPreferences(PRELOAD), contextIsolation: false } };
    expect(() => createSecureWindow((o) => (constructed++, new FakeWindow(o, o.webPreferences!)), options, PRELOAD)).toThrow(InsecureWindowError);
    expect(constructed).toBe(0);
  });

  it('destroys a window whose applied preferences differ from the requested ones', () => {
    let created: FakeWindow | undefined;
    expect(() =>
      createSecureWindow((o) => (created = new FakeWindow(o, { ...o.webPreferences, sandbox: false })), mainWindowOptions(PRELOAD), PRELOAD),
    ).toThrow(/sandbox/);
    expect(created?.isDestroyed).toBe(true);
  });

  it('falls back to the options check when Electron no longer reports preferences', () => {
    const window = createSecureWindow((o) => new FakeWindow(o, 'no-api'), mainWindowOptions(PRELOAD), PRELOAD);
    expect(window.isDestroyed).toBe(false);
    expect(effectivePreferences(window.webContents)).toBeUndefined();
  });
});
