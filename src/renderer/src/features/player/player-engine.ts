import type * as HlsJs from 'hls.js';
import type { ApiClient } from '../../lib/api';
import type { HlsInfo, StreamUrl, Track } from '../../lib/types';
import { levelLabel, type QualityLevel, type QualityPreference, tokenOf, withToken } from './quality';

/** The hls.js module as the engine uses it (its default export is the player class). */
export type HlsModule = typeof HlsJs;

/** URL of the hls.js chunk after a failed load (browsers name it in the error). */
let failedChunkUrl: string | null = null;

/**
 * hls.js is most of the renderer's code: it loads with the first HLS track, not with the app. Chromium
 * remembers a failed dynamic import per URL and never asks again, so a retry asks under a fresh URL.
 */
async function importHlsJs(): Promise<HlsModule> {
  if (failedChunkUrl) return (await import(/* @vite-ignore */ `${failedChunkUrl}?retry=${Date.now()}`)) as HlsModule;
  try {
    return await import('hls.js');
  } catch (error) {
    failedChunkUrl = /\bhttps?:\/\/\S+?\.m?js\b/.exec(String(error))?.[0] ?? null;
    throw error;
  }
}

/** How the current track reaches the <audio> element. */
type PlaybackMode = 'hls.js' | 'native-hls' | 'original';

export interface PlayerState {
  track: Track | null;
  status: 'idle' | 'loading' | 'playing' | 'paused' | 'error';
  mode: PlaybackMode | null;
  currentTime: number;
  duration: number;
  volume: number;
  muted: boolean;
  /** HLS levels (hls.js only); empty otherwise, which hides the quality selector. */
  levels: QualityLevel[];
  /** Level playing now (-1 before the first switch). */
  currentLevel: number;
  /** Pinned level, or -1 for Auto. */
  pinnedLevel: number;
  /** hls.js bandwidth estimate in bit/s. */
  bandwidthEstimate: number;
  /** Why the original is playing instead of HLS, if it is because HLS failed. */
  fallbackReason: string | null;
  error: string | null;
}

export const initialPlayerState: PlayerState = {
  track: null,
  status: 'idle',
  mode: null,
  currentTime: 0,
  duration: 0,
  volume: 1,
  muted: false,
  levels: [],
  currentLevel: -1,
  pinnedLevel: -1,
  bandwidthEstimate: 0,
  fallbackReason: null,
  error: null,
};

export interface PlayerEngineOptions {
  api: ApiClient;
  audio: HTMLAudioElement;
  quality: QualityPreference;
  /** Renew the stream token this long before it expires. */
  renewMarginMs?: number;
  /** Renewal period when the server does not say when tokens expire. */
  defaultRenewMs?: number;
  /** Test hook: force the MSE check (NoHLS / Safari paths). */
  mseSupported?: boolean;
  /** Loads hls.js (default: its own chunk, imported on first use). Called again after a failure. */
  loadHls?: () => Promise<HlsModule>;
}

/**
 * Drives one <audio> element: chooses hls.js, native HLS or the original file, keeps the stream token
 * fresh, falls back to the original when HLS fails, and publishes a state snapshot for React.
 */
export class PlayerEngine {
  private state: PlayerState = initialPlayerState;
  private readonly listeners = new Set<() => void>();
  private hls: HlsJs.default | null = null;
  private streamToken: string | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private hlsModule: Promise<HlsModule> | undefined;
  /** Bumped on each load so late answers for an older track are ignored. */
  private generation = 0;
  private readonly audio: HTMLAudioElement;
  private readonly detachAudio: () => void;

  constructor(private readonly options: PlayerEngineOptions) {
    this.audio = options.audio;
    const audio = this.audio;
    const onTime = () => this.patch({ currentTime: audio.currentTime });
    const onDuration = () => Number.isFinite(audio.duration) && this.patch({ duration: audio.duration });
    const onPlay = () => this.patch({ status: 'playing' });
    const onPause = () => this.state.status !== 'loading' && this.patch({ status: 'paused' });
    const onVolume = () => this.patch({ volume: audio.volume, muted: audio.muted });
    const onError = () => {
      if (this.state.mode === 'native-hls') void this.fallBack('Native HLS failed');
      else if (this.state.mode === 'original' && audio.error) void this.reloadOriginal();
    };
    const events: [string, () => void][] = [
      ['timeupdate', onTime],
      ['durationchange', onDuration],
      ['loadedmetadata', onDuration],
      ['play', onPlay],
      ['playing', onPlay],
      ['pause', onPause],
      ['ended', onPause],
      ['volumechange', onVolume],
      ['error', onError],
    ];
    for (const [name, handler] of events) audio.addEventListener(name, handler);
    this.detachAudio = () => events.forEach(([name, handler]) => audio.removeEventListener(name, handler));
  }

  getState = (): PlayerState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private loadHlsJs(): Promise<HlsModule> {
    this.hlsModule ??= (this.options.loadHls ?? importHlsJs)().catch((error: unknown) => {
      this.hlsModule = undefined; // the next track tries again
      throw error;
    });
    return this.hlsModule;
  }

  private patch(partial: Partial<PlayerState>) {
    this.state = { ...this.state, ...partial };
    for (const listener of this.listeners) listener();
  }

  /** Loads a track and plays it (from `startAt` seconds when given). */
  async load(track: Track, { startAt = 0, autoplay = true }: { startAt?: number; autoplay?: boolean } = {}): Promise<void> {
    const generation = ++this.generation;
    this.teardown();
    this.patch({
      ...initialPlayerState,
      volume: this.state.volume,
      muted: this.state.muted,
      track,
      status: 'loading',
      duration: track.duration_s,
    });
    let info: HlsInfo | null = null;
    if (track.stream_status === 'ready' || track.stream_manifest_url) {
      info = await this.options.api.get<HlsInfo>(`/tracks/${track.id}/hls/info`).catch(() => null);
      if (generation !== this.generation) return;
    }
    let fallbackReason: string | null = null;
    if (info?.hls_available && info.master_url) {
      this.scheduleRenewal(info, generation);
      // A failed chunk load (say, the server was updated under an open page) leaves native HLS or the original.
      const mse = this.options.mseSupported ?? ('MediaSource' in window || 'ManagedMediaSource' in window);
      const lib = mse ? await this.loadHlsJs().catch(() => null) : null;
      if (generation !== this.generation) return;
      if (lib && (this.options.mseSupported ?? lib.default.isSupported())) return this.startHls(lib, info.master_url, startAt, autoplay, generation);
      if (this.audio.canPlayType('application/vnd.apple.mpegurl')) {
        this.patch({ mode: 'native-hls' });
        this.audio.src = this.absolute(info.master_url);
        return this.startAudio(startAt, autoplay);
      }
      if (mse && !lib) fallbackReason = 'The HLS player could not load';
    }
    await this.playOriginal(startAt, autoplay, generation, fallbackReason);
  }

  private absolute(url: string): string {
    return new URL(url, this.options.api.baseUrl || window.location.href).toString();
  }

  private startHls(lib: HlsModule, masterUrl: string, startAt: number, autoplay: boolean, generation: number) {
    const { Events } = lib;
    this.streamToken = tokenOf(masterUrl);
    const pinnedLabel = this.options.quality.get();
    const hls = new lib.default({
      startPosition: startAt,
      // Every request carries the freshest stream token: renewal needs no reload, so no glitch.
      xhrSetup: (xhr, url) => {
        xhr.open('GET', withToken(url, this.streamToken), true);
      },
    });
    this.hls = hls;
    this.patch({ mode: 'hls.js' });
    hls.on(Events.MANIFEST_PARSED, (_event, data) => {
      // Listed by nominal rate (the rung's name): hls.js orders by measured average, and on quiet material a
      // 320k rung can average less than the 256k one. `index` stays hls.js's own.
      const levels = data.levels
        .map((level, index) => ({ index, label: levelLabel(level.url[0] ?? '', level.bitrate), bitrate: level.bitrate }))
        .sort((a, b) => (parseInt(a.label, 10) || a.bitrate / 1000) - (parseInt(b.label, 10) || b.bitrate / 1000));
      const pinned = pinnedLabel === 'auto' ? -1 : (levels.find((level) => level.label === pinnedLabel)?.index ?? -1);
      if (pinned >= 0) hls.currentLevel = pinned;
      this.patch({ levels, pinnedLevel: pinned });
      if (autoplay) void this.audio.play().catch(() => this.patch({ status: 'paused' }));
    });
    hls.on(Events.LEVEL_SWITCHED, (_event, data) => this.patch({ currentLevel: data.level }));
    hls.on(Events.FRAG_LOADED, () => this.patch({ bandwidthEstimate: hls.bandwidthEstimate }));
    hls.on(Events.ERROR, (_event, data) => void this.onHlsError(lib, data, generation));
    hls.loadSource(this.absolute(masterUrl));
    hls.attachMedia(this.audio);
  }

  private async onHlsError({ ErrorTypes, ErrorDetails }: HlsModule, data: HlsJs.ErrorData, generation: number) {
    const status = data.response?.code;
    if (data.type === ErrorTypes.NETWORK_ERROR && (status === 401 || status === 403)) {
      // The stream token lapsed (sleep, clock skew): renew it and carry on from where we were.
      if (await this.renewToken(generation)) {
        this.hls?.startLoad(this.audio.currentTime);
        return;
      }
    }
    if (!data.fatal) return;
    if (data.type === ErrorTypes.MEDIA_ERROR && data.details !== ErrorDetails.BUFFER_INCOMPATIBLE_CODECS_ERROR && !this.mediaRecovered) {
      this.mediaRecovered = true;
      this.hls?.recoverMediaError();
      return;
    }
    await this.fallBack(`HLS failed (${data.details})`);
  }

  private mediaRecovered = false;

  /** Switches to the original file at the same position, keeping play/pause. */
  private async fallBack(reason: string) {
    const generation = this.generation;
    const position = this.audio.currentTime || 0;
    const wasPlaying = !this.audio.paused || this.state.status === 'loading';
    this.destroyHls();
    await this.playOriginal(position, wasPlaying, generation, reason);
  }

  /** When and where the original was last reloaded after an error. */
  private lastReload: { at: number; position: number } | null = null;

  /**
   * The original failed: most often a Range request of a long listen outlived its stream token. Fetch a
   * fresh URL and carry on from the same position. A second error within 10 s and without 2 s of
   * playback in between is final: that file really cannot play (no endless reload loop).
   */
  private async reloadOriginal() {
    // The element's own position: after a seek it is already the target, the last timeupdate is not.
    const position = this.audio.currentTime || this.state.currentTime;
    const last = this.lastReload;
    if (last && Date.now() - last.at < 10_000 && position - last.position < 2) {
      return this.patch({ status: 'error', error: 'This track cannot be played.' });
    }
    this.lastReload = { at: Date.now(), position };
    await this.playOriginal(position, this.state.status !== 'paused', this.generation, this.state.fallbackReason);
  }

  private async playOriginal(startAt: number, autoplay: boolean, generation: number, reason: string | null) {
    const track = this.state.track;
    if (!track) return;
    this.patch({ mode: 'original', levels: [], currentLevel: -1, fallbackReason: reason });
    try {
      // <audio> cannot send the bearer header: the URL carries a stream token, and Range keeps it progressive.
      const { url } = await this.options.api.get<StreamUrl>(`/tracks/${track.id}/stream-url`);
      if (generation !== this.generation) return;
      this.audio.src = this.absolute(url);
      await this.startAudio(startAt, autoplay);
    } catch (error) {
      if (generation !== this.generation) return;
      this.patch({ status: 'error', error: error instanceof Error ? error.message : 'This track cannot be played.' });
    }
  }

  private async startAudio(startAt: number, autoplay: boolean) {
    if (startAt > 0) {
      const seek = () => (this.audio.currentTime = startAt);
      if (this.audio.readyState >= 1) seek();
      else this.audio.addEventListener('loadedmetadata', seek, { once: true });
    }
    if (autoplay) await this.audio.play().catch(() => this.patch({ status: 'paused' }));
    else this.patch({ status: 'paused' });
  }

  private scheduleRenewal(info: HlsInfo, generation: number) {
    clearTimeout(this.renewTimer);
    const margin = this.options.renewMarginMs ?? 5 * 60_000;
    const expiresAt = info.expires_at ? info.expires_at * 1000 : NaN; // Unix seconds on the wire
    const delay = Number.isFinite(expiresAt) ? Math.max(5_000, expiresAt - Date.now() - margin) : (this.options.defaultRenewMs ?? 20 * 60_000);
    this.renewTimer = setTimeout(() => void this.renewToken(generation), delay);
  }

  /** Asks hls/info again; the new token is used by the next request (playlists and segments alike). */
  async renewToken(generation = this.generation): Promise<boolean> {
    const track = this.state.track;
    if (!track || generation !== this.generation) return false;
    const info = await this.options.api.get<HlsInfo>(`/tracks/${track.id}/hls/info`).catch(() => null);
    if (!info?.master_url || generation !== this.generation) return false;
    this.streamToken = tokenOf(info.master_url);
    this.scheduleRenewal(info, generation);
    return true;
  }

  play = () => {
    if (this.state.track) void this.audio.play().catch(() => undefined);
  };
  pause = () => this.audio.pause();
  toggle = () => (this.audio.paused ? this.play() : this.pause());
  seek = (seconds: number) => {
    const max = this.state.duration || this.audio.duration || 0;
    this.audio.currentTime = Math.max(0, Math.min(seconds, max || seconds));
    this.patch({ currentTime: this.audio.currentTime });
  };
  seekBy = (delta: number) => this.seek(this.audio.currentTime + delta);
  setVolume = (volume: number) => {
    this.audio.volume = Math.max(0, Math.min(1, volume));
    if (volume > 0) this.audio.muted = false;
  };
  toggleMute = () => (this.audio.muted = !this.audio.muted);

  /** -1 = Auto (ABR); otherwise pins that level. Remembered across sessions. */
  setLevel = (index: number) => {
    const level = this.state.levels.find((candidate) => candidate.index === index);
    this.options.quality.set(level ? level.label : 'auto');
    if (this.hls) this.hls.currentLevel = level ? index : -1;
    this.patch({ pinnedLevel: level ? index : -1 });
  };

  /** Clears playback if the track is gone (deleted). */
  unload(trackId: string) {
    if (this.state.track?.id !== trackId) return;
    this.generation++;
    this.teardown();
    this.patch({ ...initialPlayerState, volume: this.state.volume, muted: this.state.muted });
  }

  /** Keeps the title shown in sync after a rename. */
  updateTrack(track: Track) {
    if (this.state.track?.id === track.id) this.patch({ track });
  }

  private destroyHls() {
    this.hls?.destroy();
    this.hls = null;
  }


  private teardown() {
    clearTimeout(this.renewTimer);
    this.destroyHls();
    this.mediaRecovered = false;
    this.lastReload = null;
    this.streamToken = null;
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.audio.load();
  }

  destroy() {
    this.generation++;
    this.teardown();
    this.detachAudio();
    this.listeners.clear();
  }
}
