import type { Meta, StoryObj } from '@storybook/react-vite';
import { http, HttpResponse } from 'msw';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { createApiClient } from '../../lib/api';
import { processingTrack, readyTrack, silentWav } from '../../stories-support/fixtures';
import { initialPlayerState, PlayerEngine, type PlayerState } from './player-engine';
import { type PlayerActions, PlayerBarView } from './PlayerBarView';

const noop: PlayerActions = { toggle() {}, seek() {}, seekBy() {}, setVolume() {}, toggleMute() {}, setLevel() {} };
const levels = [
  { index: 0, label: '128k', bitrate: 140_800 },
  { index: 1, label: '256k', bitrate: 281_600 },
  { index: 2, label: '320k', bitrate: 352_000 },
];

/** A real PlayerEngine on a real <audio>, its requests answered by the story's MSW handlers. */
function LivePlayer({ mseSupported }: { mseSupported?: boolean }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [engine, setEngine] = useState<PlayerEngine | null>(null);
  useEffect(() => {
    const api = createApiClient({ baseUrl: '', getToken: () => 'story-token' });
    const player = new PlayerEngine({ api, audio: audio.current!, mseSupported, quality: { get: () => 'auto', set: () => undefined } });
    setEngine(player);
    void player.load(readyTrack, { autoplay: false });
    return () => player.destroy();
  }, [mseSupported]);
  return (
    <>
      <audio ref={audio} />
      {engine && <EngineView engine={engine} />}
    </>
  );
}

function EngineView({ engine }: { engine: PlayerEngine }) {
  const state = useSyncExternalStore(engine.subscribe, engine.getState);
  return <PlayerBarView state={state} actions={engine} />;
}

const wavFile = http.get('/api/v1/tracks/:id/stream', () => new HttpResponse(silentWav(2), { headers: { 'Content-Type': 'audio/wav' } }));
const wavUrl = http.get('/api/v1/tracks/:id/stream-url', ({ params }) =>
  HttpResponse.json({ url: `/api/v1/tracks/${String(params.id)}/stream?token=story`, expires_at: Math.floor(Date.now() / 1000) + 3600 }),
);
const wav = [wavUrl, wavFile];
const info = http.get('/api/v1/tracks/:id/hls/info', ({ params }) =>
  HttpResponse.json({
    track_id: params.id,
    hls_available: true,
    qualities: levels.map((l) => ({ name: l.label, bitrate: l.bitrate })),
    duration_s: 214,
    master_url: `/api/v1/tracks/${String(params.id)}/hls/master.m3u8?token=story`,
  }),
);

const meta: Meta<typeof PlayerBarView> = {
  title: 'Player/PlayerBar',
  component: PlayerBarView,
  args: { actions: noop },
};
export default meta;
type Story = StoryObj<typeof PlayerBarView>;

const playing: PlayerState = {
  ...initialPlayerState,
  track: readyTrack,
  status: 'playing',
  mode: 'hls.js',
  currentTime: 83,
  duration: 214,
  levels,
  currentLevel: 2,
  pinnedLevel: -1,
  bandwidthEstimate: 1_850_000,
};

/** HLS active: the quality selector lists Auto + 128k/256k/320k, the level playing and the estimate. */
export const Default: Story = {
  args: { state: playing },
  parameters: { msw: { handlers: [info, ...wav] } },
};

/** The track is still being transcoded: the bar says how far along it is. */
export const Loading: Story = {
  args: { state: { ...initialPlayerState, track: processingTrack, status: 'loading', duration: processingTrack.duration_s }, transcodeProgress: 42 },
  parameters: {
    msw: { handlers: [http.get('/api/v1/tracks/:id/hls/status', ({ params }) => HttpResponse.json({ track_id: params.id, status: 'processing', progress: 42, error: null }))] },
  },
};

/** HLS fails (the master playlist answers 500): the engine falls back to the original file. */
export const Error: Story = {
  render: () => <LivePlayer />,
  parameters: {
    msw: { handlers: [info, http.get('/api/v1/tracks/:id/hls/master.m3u8', () => new HttpResponse('broken', { status: 500 })), ...wav] },
  },
};

/** No HLS (server started with VEZA_HLS=false: hls/info is 404): the original plays, no selector. */
export const NoHLS: Story = {
  render: () => <LivePlayer />,
  parameters: {
    msw: { handlers: [http.get('/api/v1/tracks/:id/hls/info', () => HttpResponse.json({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Not found', code: 'NOT_FOUND' }, { status: 404 })), ...wav] },
  },
};
