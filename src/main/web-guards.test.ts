import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../shared/content-security-policy.js';
import {
  decideNavigation,
  decideWindowOpen,
  openInBrowser,
  type GuardableWebContents,
  guardWebContents,
  isPermissionAllowed,
  withContentSecurityPolicy,
} from './web-guards.js';

const APP = 'http://127.0.0.1:40123';

describe('navigation guard', () => {
  it('allows the app origin only, and sends https elsewhere to the OS browser', () => {
    expect(decideNavigation(`${APP}/library`, APP)).toBe('allow');
    expect(decideNavigation('http://127.0.0.1:40124/', APP)).toBe('deny');
    expect(decideNavigation('http://localhost:40123/', APP)).toBe('deny');
    expect(decideNavigation('https://example.com/', APP)).toBe('open-externally');
    expect(decideNavigation('http://example.com/', APP)).toBe('deny');
    expect(decideNavigation('file:///etc/passwd', APP)).toBe('deny');
    expect(decideNavigation('javascript:alert(1)', APP)).toBe('deny');
    expect(decideNavigation('not a url', APP)).toBe('deny');
  });

  it('never opens a window: https goes to the OS browser, anything else is dropped', () => {
    expect(decideWindowOpen('https://example.com/help')).toBe('open-externally');
    expect(decideWindowOpen('https://user:pw@example.com/')).toBe('deny');
    expect(decideWindowOpen(`${APP}/popup`)).toBe('deny');
    expect(decideWindowOpen('smb://share/x')).toBe('deny');
    expect(decideWindowOpen('')).toBe('deny');
  });
});

describe('permission handler', () => {
  it('grants only clipboard writes, and only to the app itself', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', `${APP}/`, APP)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/', APP)).toBe(false);
    expect(isPermissionAllowed('clipboard-sanitized-write', undefined, APP)).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'hid', 'serial', 'fullscreen']) {
      expect(isPermissionAllowed(permission, `${APP}/`, APP), permission).toBe(false);
    }
  });
});

describe('session CSP header', () => {
  it('replaces any CSP on app responses with the strict one', () => {
    const headers = withContentSecurityPolicy(`${APP}/index.html`, { 'content-security-policy': ["default-src *"], 'X-Other': ['1'] }, APP);
    expect(headers).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('adds the CSP when the server sent none and leaves other origins alone', () => {
    expect(withContentSecurityPolicy(`${APP}/`, undefined, APP)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const foreign = { 'Content-Type': ['text/html'] };
    expect(withContentSecurityPolicy('https://example.com/', foreign, APP)).toBe(foreign);
  });
});

class FakeContents extends EventEmitter implements GuardableWebContents {
  openHandler?: (details: { url: string }) => { action: 'deny' };
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
}

function navigation(url: string, withUrlOnEvent = true) {
  const event = { url: withUrlOnEvent ? url : undefined, isPrevented: false, preventDefault() { this.isPrevented = true; } };
  return event;
}

describe('guardWebContents', () => {
  function guarded() {
    const contents = new FakeContents();
    const opened: string[] = [];
    let origin = APP;
    guardWebContents(contents, { appOrigin: () => origin, openInBrowser: (url) => opened.push(url) });
    return { contents, opened, setOrigin: (o: string) => (origin = o) };
  }

  it('blocks navigation away from the app and opens https links externally', () => {
    const { contents, opened } = guarded();
    const inside = navigation(`${APP}/tracks`);
    contents.emit('will-navigate', inside, inside.url);
    expect(inside.isPrevented).toBe(false);
    const outside = navigation('https://example.com/');
    contents.emit('will-navigate', outside, outside.url);
    expect(outside.isPrevented).toBe(true);
    const legacy = navigation('file:///etc/passwd', false);
    contents.emit('will-navigate', legacy, 'file:///etc/passwd');
    expect(legacy.isPrevented).toBe(true);
    expect(opened).toEqual(['https://example.com/']);
  });

  it('follows the current app origin after a settings switch', () => {
    const { contents, setOrigin } = guarded();
    setOrigin('https://team.example.com');
    const old = navigation(`${APP}/`);
    contents.emit('will-navigate', old);
    expect(old.isPrevented).toBe(true);
    const team = navigation('https://team.example.com/x');
    contents.emit('will-navigate', team);
    expect(team.isPrevented).toBe(false);
  });

  it('blocks frame navigation and redirects off the app, and every <webview>', () => {
    const { contents, opened } = guarded();
    for (const event of ['will-frame-navigate', 'will-redirect']) {
      const e = navigation('https://example.com/');
      contents.emit(event, e);
      expect(e.isPrevented, event).toBe(true);
    }
    const attach = navigation('');
    contents.emit('will-attach-webview', attach, {}, {});
    expect(attach.isPrevented).toBe(true);
    expect(opened).toEqual([]);
  });

  it('denies every window.open, handing https links to the OS browser', () => {
    const { contents, opened } = guarded();
    expect(contents.openHandler?.({ url: 'https://example.com/a' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: `${APP}/child` })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/a']);
  });
});

describe('openInBrowser', () => {
  it('hands only https URLs to the OS', async () => {
    const handed: string[] = [];
    const shell = { openExternal: async (url: string) => void handed.push(url) };
    expect(openInBrowser(shell, 'https://example.com/a b')).toBe(true);
    for (const url of ['file:///etc/passwd', 'smb://host/share', 'ms-settings:', 'http://example.com', 'https://u:p@example.com']) {
      expect(openInBrowser(shell, url), url).toBe(false);
    }
    expect(handed).toEqual(['https://example.com/a%20b']);
  });
});
