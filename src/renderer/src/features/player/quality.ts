/** One hls.js level as the selector shows it. */
export interface QualityLevel {
  index: number;
  /** "128k": the rung name from the playlist URL, else the advertised bitrate. */
  label: string;
  bitrate: number;
}

const RUNG_IN_URL = /\/hls\/([^/?#]+)\/[^/?#]+\.m3u8/;

export function levelLabel(url: string, bitrate: number): string {
  const rung = RUNG_IN_URL.exec(url)?.[1];
  if (rung) return decodeURIComponent(rung);
  return `${Math.round(bitrate / 1000)}k`;
}

/** The pinned level survives reloads: 'auto' or a label such as '128k'. */
export interface QualityPreference {
  get(): string;
  set(label: string): void;
}

export function storedQualityPreference(storage: Storage = localStorage, key = 'veza.quality'): QualityPreference {
  return {
    get: () => storage.getItem(key) ?? 'auto',
    set: (label) => storage.setItem(key, label),
  };
}

/** Base for relative URLs: the page's own (none outside a page, where the unit tests use absolute URLs). */
const pageUrl = (): string | undefined => globalThis.location?.href;

/** Replaces the `token` query parameter of a stream URL (renewed stream tokens, same URLs otherwise). */
export function withToken(url: string, token: string | null): string {
  if (!token) return url;
  const parsed = new URL(url, pageUrl());
  if (!parsed.searchParams.has('token')) return url;
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

export function tokenOf(url: string): string | null {
  try {
    return new URL(url, pageUrl()).searchParams.get('token');
  } catch {
    return null;
  }
}
