/**
 * What the app's web contents may do: where they may navigate, what they may open, which permissions
 * they get, and the CSP every response carries. Pure decisions; index.ts wires them to Electron.
 */
import { CONTENT_SECURITY_POLICY } from '../shared/content-security-policy.js';

export type NavigationDecision = 'allow' | 'open-externally' | 'deny';

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** In-window navigation stays on the app's origin; everything else is refused (https goes to the OS browser). */
export function decideNavigation(url: string, appOrigin: string): NavigationDecision {
  const target = parse(url);
  if (!target) return 'deny';
  if (target.origin === appOrigin) return 'allow';
  return target.protocol === 'https:' ? 'open-externally' : 'deny';
}

/** `window.open` and target=_blank never create a window: https links open in the OS browser, the rest is dropped. */
export function decideWindowOpen(url: string): Exclude<NavigationDecision, 'allow'> {
  const target = parse(url);
  return target?.protocol === 'https:' && !target.username && !target.password ? 'open-externally' : 'deny';
}

/**
 * Permissions the app's own pages may get. The player only plays audio (no capture), notifications are
 * shown by main, so the single need is writing to the clipboard ("copy link"). Everything else, and any
 * request from another origin, is denied.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string | undefined, appOrigin: string): boolean {
  if (!ALLOWED_PERMISSIONS.has(permission) || !requestingUrl) return false;
  return parse(requestingUrl)?.origin === appOrigin;
}

type Headers = Record<string, string[] | string>;

/**
 * Adds the app's CSP to every response from the app's origin, replacing whatever the server sent, so
 * the window is protected even by a server that forgets it (a remote team server of an older version).
 */
export function withContentSecurityPolicy(url: string, headers: Headers | undefined, appOrigin: string): Headers {
  if (parse(url)?.origin !== appOrigin) return headers ?? {};
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return result;
}

interface NavigationEvent {
  preventDefault(): void;
  /** Electron ≥ 25 puts the target on the event; older signatures pass it as the second argument. */
  url?: string;
}

/** The part of Electron's WebContents the guards need (structural, so tests can pass an EventEmitter). */
export interface GuardableWebContents {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface GuardOptions {
  /** Current app origin: it changes when the settings switch to another server. */
  appOrigin(): string;
  /** Hands a vetted https URL to the OS browser (see openInBrowser). */
  openInBrowser(url: string): void;
}

/**
 * Applied to every web contents the app ever creates (`web-contents-created`): no navigation away
 * from the app, no redirects elsewhere, no new windows, no <webview>.
 */
export function guardWebContents(contents: GuardableWebContents, options: GuardOptions): void {
  const onNavigate = (event: NavigationEvent, url?: string) => {
    const target = event.url ?? url ?? '';
    const decision = decideNavigation(target, options.appOrigin());
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'open-externally') options.openInBrowser(target);
  };
  contents.on('will-navigate', onNavigate);
  contents.on('will-frame-navigate', (event: NavigationEvent, url?: string) => {
    const target = event.url ?? url ?? '';
    if (decideNavigation(target, options.appOrigin()) !== 'allow') event.preventDefault();
  });
  contents.on('will-redirect', (event: NavigationEvent, url?: string) => {
    const target = event.url ?? url ?? '';
    if (decideNavigation(target, options.appOrigin()) !== 'allow') event.preventDefault();
  });
  contents.on('will-attach-webview', (event: NavigationEvent) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (decideWindowOpen(url) === 'open-externally') options.openInBrowser(url);
    return { action: 'deny' };
  });
}

/**
 * The app's only door to the OS browser: https URLs without credentials, nothing else (no file:, smb:,
 * custom schemes that could launch programs). Returns whether the URL was opened.
 */
export function openInBrowser(shell: { openExternal(url: string): Promise<void> }, url: string): boolean {
  if (decideWindowOpen(url) !== 'open-externally') return false;
  // The only non-literal openExternal in the app, reviewed: decideWindowOpen lets through https URLs without
  // credentials only (web-guards.test.ts). electronegativity's annotation records that review here.
  shell.openExternal(new URL(url).href).catch(() => undefined); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
  return true;
}
