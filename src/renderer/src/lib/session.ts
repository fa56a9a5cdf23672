import type { VezaBridge } from '../../../shared/ipc';

declare global {
  interface Window {
    veza?: VezaBridge;
  }
}

const STORAGE_KEY = 'veza.token';

export interface SessionStart {
  /** '' when the page is served by the server itself; the server URL in the desktop app. */
  baseUrl: string;
  token: string | null;
}

/**
 * Finds the bearer token: from the desktop preload, else from the owner link's `#owner_token=…`
 * (moved to sessionStorage and removed from the address bar), else from an earlier visit or sign-in.
 */
export async function resolveSession(): Promise<SessionStart> {
  if (window.veza) {
    const connection = await window.veza.getConnection();
    // A remote team server gives no token: the login form asks for one, kept like a browser's.
    const token = connection.token ?? sessionStorage.getItem(STORAGE_KEY);
    const baseUrl = sameOrigin(connection.url) ? '' : connection.url.replace(/\/$/, '');
    return { baseUrl, token };
  }
  const fromLink = takeOwnerLinkToken();
  if (fromLink) sessionStorage.setItem(STORAGE_KEY, fromLink);
  return { baseUrl: '', token: fromLink ?? sessionStorage.getItem(STORAGE_KEY) };
}

/**
 * The token of an owner link (`#owner_token=…`) in the address bar, if there is one, removed from the
 * address bar at once. Read at start and again whenever the fragment changes (a new link pasted into a
 * tab whose session ended with a server restart).
 */
export function takeOwnerLinkToken(): string | null {
  if (window.veza) return null;
  const token = new URLSearchParams(window.location.hash.slice(1)).get('owner_token');
  if (!token) return null;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}

function sameOrigin(url: string): boolean {
  try {
    return new URL(url).origin === window.location.origin;
  } catch {
    return false;
  }
}

export function rememberToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
