/**
 * The player engine against a real server (real tracks, hls/info, stream tokens, /stream), with
 * stand-ins only for what needs a browser: the <audio> element and hls.js's player class (it needs
 * MediaSource). hls.js's own enums are the real ones.
 */
import * as realHlsJs from 'hls.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHlsTestApp, type HlsTestApp } from '../../../../../test/support/tracks';
import { createApiClient } from '../../lib/api';
import type { Track } from '../../lib/types';
import { type HlsModule, PlayerEngine, type PlayerEngineOptions } from './player-engine';

/** The parts of HTMLAudioElement the engine uses, with the events a real one fires. */
class FakeAudio extends EventTarget {
  private source = '';
  currentTime = 0;
  duration = NaN;
  paused = true;
  muted = false;
  volume = 1;
  readyState = 0;
  error: { code: number } | null = null;
  playsNativeHls = false;

  get src(): string {
    return this.source;
  }
  /** A new source starts from the beginning, header not read yet. */
  set src(url: string) {
    this.source = url;
    this.currentTime = 0;
    this.readyState = 0;
    this.duration = NaN;
  }
  canPlayType(type: string): string {
    return this.playsNativeHls && type === 'application/vnd.apple.mpegurl' ? 'maybe' : '';
  }
  play(): Promise<void> {
    this.paused = false;
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  }
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.dispatchEvent(new Event('pause'));
  }
  load(): void {}
  removeAttribute(name: string): void {
    if (name === 'src') this.src = '';
  }
  /** The element read the file's header: seeking is possible from now on. */
  metadataLoaded(duration: number): void {
    this.readyState = 1;
    this.duration = duration;
    this.dispatchEvent(new Event('loadedmetadata'));
  }
}

type HlsConfig = { startPosition: number; xhrSetup(xhr: { open(method: string, url: string, async: boolean): void }, url: string): void };
type HlsListener = (event: string, data: unknown) => void;

/** hls.js's player class as the engine drives it; tests play its part (manifest parsed, errors). */
class FakeHls {
  source: string | null = null;
  media: unknown = null;
  destroyed = false;
  readonly startLoads: number[] = [];
  currentLevel = -1;
  bandwidthEstimate = 0;
  private readonly listeners = new Map<string, HlsListener[]>();

  constructor(readonly config: HlsConfig) {}
  static isSupported = () => true;
  on(event: string, listener: HlsListener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  emit(event: string, data: unknown) {
    for (const listener of this.listeners.get(event) ?? []) listener(event, data);
  }
  loadSource(url: string) {
    this.source = url;
  }
  attachMedia(media: unknown) {
    this.media = media;
  }
  destroy() {
    this.destroyed = true;
  }
  startLoad(position: number) {
    this.startLoads.push(position);
  }
  recoverMediaError() {}
  /** The URL a request for `url` really goes to: what xhrSetup opens. */
  requestUrl(url: string): string {
    let opened = '';
    this.config.xhrSetup({ open: (_method, target) => (opened = target) }, url);
    return opened;
  }
}

/** An hls.js module whose player class is FakeHls; `players` lists every one the engine made. */
function fakeHlsModule() {
  const players: FakeHls[] = [];
  const Player = class extends FakeHls {
    constructor(config: HlsConfig) {
      super(config);
      players.push(this);
    }
  };
  return { module: { ...realHlsJs, default: Player } as unknown as HlsModule, players };
}

/** A promise the test settles itself. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tokenIn = (url: string) => new URL(url).searchParams.get('token');

describe('PlayerEngine', () => {
  let server: HlsTestApp;
  /** The server's clock runs ahead by this much: stream tokens issued later differ. */
  let serverClockOffsetMs = 0;
  let first: Track;
  let second: Track;
  const engines: PlayerEngine[] = [];

  beforeAll(async () => {
    server = await startHlsTestApp('player-engine', { now: () => Date.now() + serverClockOffsetMs });
    first = await server.uploadReady(3, 'first.wav');
    second = await server.uploadReady(2, 'second.wav');
  }, 120_000);
  afterAll(() => server.close());
  afterEach(() => {
    vi.useRealTimers();
    for (const engine of engines.splice(0)) engine.destroy();
  });

  function start(options: Partial<PlayerEngineOptions> = {}) {
    const audio = new FakeAudio();
    const hls = fakeHlsModule();
    const api = createApiClient({ baseUrl: `http://${server.host}`, getToken: () => server.ownerToken });
    const engine = new PlayerEngine({
      api,
      audio: audio as unknown as HTMLAudioElement,
      quality: { get: () => 'auto', set: () => undefined },
      mseSupported: true,
      loadHls: async () => hls.module,
      ...options,
    });
    engines.push(engine);
    return { engine, audio, players: hls.players };
  }

  it('plays a ready track through hls.js from its tokenized master playlist', async () => {
    const { engine, audio, players } = start();
    await engine.load(first);
    expect(players).toHaveLength(1);
    const [hls] = players;
    expect(hls!.source).toMatch(new RegExp(`^http://${server.host}/api/v1/tracks/${first.id}/hls/master\\.m3u8\\?token=`));
    expect(hls!.media).toBe(audio);
    hls!.emit(realHlsJs.Events.MANIFEST_PARSED, { levels: [{ url: ['/hls/128k/playlist.m3u8'], bitrate: 128_000 }] });
    await vi.waitFor(() => expect(engine.getState().status).toBe('playing'));
    expect(engine.getState()).toMatchObject({ mode: 'hls.js', track: { id: first.id }, levels: [{ index: 0, label: '128k' }] });
  });

  it('falls back to the original at the same position when HLS fails for good', async () => {
    const { engine, audio, players } = start();
    await engine.load(first);
    audio.currentTime = 1.5;
    players[0]!.emit(realHlsJs.Events.ERROR, { type: realHlsJs.ErrorTypes.NETWORK_ERROR, details: 'manifestLoadError', fatal: true });

    await vi.waitFor(() => expect(audio.src).toContain('/stream?token='));
    expect(players[0]!.destroyed).toBe(true);
    expect(engine.getState()).toMatchObject({ mode: 'original', fallbackReason: 'HLS failed (manifestLoadError)', levels: [] });
    audio.metadataLoaded(3);
    expect(audio.currentTime).toBe(1.5);
    // The URL the element was given really plays: the server answers it with the original's bytes.
    const original = await fetch(audio.src, { headers: { Range: 'bytes=0-11' } });
    expect(original.status).toBe(206);
    expect(Buffer.from(await original.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('falls back to the original when native HLS fails', async () => {
    const { engine, audio, players } = start({ mseSupported: false });
    audio.playsNativeHls = true;
    await engine.load(first);
    expect(players).toHaveLength(0);
    expect(engine.getState().mode).toBe('native-hls');
    expect(audio.src).toContain(`/tracks/${first.id}/hls/master.m3u8?token=`);

    audio.dispatchEvent(new Event('error'));
    await vi.waitFor(() => expect(audio.src).toContain(`/tracks/${first.id}/stream?token=`));
    expect(engine.getState()).toMatchObject({ mode: 'original', fallbackReason: 'Native HLS failed' });
  });

  it('plays the original when hls.js cannot load, and tries hls.js again with the next track', async () => {
    const hls = fakeHlsModule();
    const loadHls = vi.fn<() => Promise<HlsModule>>().mockRejectedValueOnce(new Error('chunk failed')).mockResolvedValue(hls.module);
    const { engine, audio } = start({ loadHls });
    await engine.load(first);
    expect(engine.getState()).toMatchObject({ mode: 'original', fallbackReason: 'The HLS player could not load' });
    expect(audio.src).toContain(`/tracks/${first.id}/stream?token=`);

    await engine.load(second);
    expect(loadHls).toHaveBeenCalledTimes(2);
    expect(engine.getState().mode).toBe('hls.js');
    expect(hls.players[0]!.source).toContain(`/tracks/${second.id}/hls/master.m3u8`);
  });

  it('renews a refused stream token and carries on from the same position, without a reload', async () => {
    const { engine, audio, players } = start();
    await engine.load(first);
    const hls = players[0]!;
    const segment = `http://${server.host}/api/v1/tracks/${first.id}/hls/128k/seg_00000.ts?token=${tokenIn(hls.source!)}`;
    const before = tokenIn(hls.requestUrl(segment));

    serverClockOffsetMs += 10_000; // a token issued now is another one
    audio.currentTime = 2;
    hls.emit(realHlsJs.Events.ERROR, { type: realHlsJs.ErrorTypes.NETWORK_ERROR, details: 'fragLoadError', fatal: false, response: { code: 403 } });
    await vi.waitFor(() => expect(hls.startLoads).toEqual([2]));

    const renewed = hls.requestUrl(segment);
    expect(tokenIn(renewed)).not.toBe(before);
    expect(players).toHaveLength(1);
    expect(hls.destroyed).toBe(false);
    expect((await fetch(renewed)).status).toBe(200);
  });

  it('renews the stream token before it expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { engine, players } = start({ renewMarginMs: 60_000 });
    await engine.load(first);
    const hls = players[0]!;
    const issued = tokenIn(hls.requestUrl(hls.source!));

    serverClockOffsetMs += 10_000;
    // hls/info said when the token expires (the server's TTL is 1 h): renewal comes a minute before.
    await vi.advanceTimersByTimeAsync(3600_000 - 60_000 - 15_000);
    expect(tokenIn(hls.requestUrl(hls.source!))).toBe(issued);
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(tokenIn(hls.requestUrl(hls.source!))).not.toBe(issued));
    expect(players).toHaveLength(1);
  });

  it('ignores the late answers of a load that a newer one overtook', async () => {
    const hls = fakeHlsModule();
    const loading = deferred<HlsModule>();
    const loadHls = vi.fn(() => loading.promise);
    const { engine } = start({ loadHls });
    const overtaken = engine.load(first);
    await vi.waitFor(() => expect(loadHls).toHaveBeenCalled());

    const current = engine.load(second);
    loading.resolve(hls.module);
    await Promise.all([overtaken, current]);
    expect(hls.players.map((player) => player.source)).toEqual([expect.stringContaining(`/tracks/${second.id}/hls/master.m3u8`)]);
    expect(engine.getState().track?.id).toBe(second.id);
  });

  it('starts nothing for a track unloaded while it was loading', async () => {
    const hls = fakeHlsModule();
    const loading = deferred<HlsModule>();
    const loadHls = vi.fn(() => loading.promise);
    const { engine, audio } = start({ loadHls });
    const load = engine.load(first);
    await vi.waitFor(() => expect(loadHls).toHaveBeenCalled());

    engine.unload(first.id);
    loading.resolve(hls.module);
    await load;
    expect(hls.players).toHaveLength(0);
    expect(audio.src).toBe('');
    expect(engine.getState()).toMatchObject({ track: null, status: 'idle' });
  });
});
