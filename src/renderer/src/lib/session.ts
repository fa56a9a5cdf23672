import type { VezaBridge } from '../../../shared/ipc';

declare global {
  interface Window {
    veza?: VezaBridge;
  }
}

const STORAGE_KEY = 'veza.token';

/**
 * Finds the bearer token: from the desktop preload, else from the owner link's `#owner_token=…`
 * (moved to sessionStorage and removed from the address bar), else from an earlier visit.
 */
export async function resolveToken(): Promise<string | null> {
  if (window.veza) return (await window.veza.getConnection()).token;
  const fromLink = new URLSearchParams(window.location.hash.slice(1)).get('owner_token');
  if (fromLink) {
    sessionStorage.setItem(STORAGE_KEY, fromLink);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromLink;
  }
  return sessionStorage.getItem(STORAGE_KEY);
}
