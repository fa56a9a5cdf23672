import { formatTime } from '../../lib/format';
import { Icon } from '../../ui/Icon';
import type { PlayerState } from './player-engine';
import { QualitySelector } from './QualitySelector';

export interface PlayerActions {
  toggle(): void;
  seek(seconds: number): void;
  seekBy(delta: number): void;
  setVolume(volume: number): void;
  toggleMute(): void;
  setLevel(index: number): void;
}

const modeLabel = { 'hls.js': 'HLS', 'native-hls': 'HLS (native)', original: 'Original' } as const;

/** The player bar, drawn from a state snapshot (the engine feeds it; stories pass one directly). */
export function PlayerBarView({ state, actions, transcodeProgress }: { state: PlayerState; actions: PlayerActions; transcodeProgress?: number | null }) {
  const { track } = state;
  const playing = state.status === 'playing';
  const duration = state.duration || track?.duration_s || 0;
  return (
    <footer className="player" aria-label="Player" data-mode={state.mode ?? 'none'} data-status={state.status}>
      <div className="player-track">
        {track ? (
          <>
            <strong className="player-title" aria-label="Now playing">
              {track.title}
            </strong>
            <span className="muted">{track.artist}</span>
          </>
        ) : (
          <span className="muted">Pick a track to play</span>
        )}
      </div>
      <div className="player-controls">
        <button type="button" className="icon-button" aria-label="Back 5 seconds" onClick={() => actions.seekBy(-5)} disabled={!track}>
          <Icon name="back" />
        </button>
        <button type="button" className="icon-button play" aria-label={playing ? 'Pause' : 'Play'} onClick={actions.toggle} disabled={!track}>
          <Icon name={playing ? 'pause' : 'play'} size={22} />
        </button>
        <button type="button" className="icon-button" aria-label="Forward 5 seconds" onClick={() => actions.seekBy(5)} disabled={!track}>
          <Icon name="forward" />
        </button>
        <span className="time" aria-label="Current time">
          {formatTime(state.currentTime)}
        </span>
        <input
          className="seek"
          type="range"
          aria-label="Seek"
          min={0}
          max={Math.max(duration, 0.1)}
          step={0.1}
          value={Math.min(state.currentTime, duration || state.currentTime)}
          onChange={(event) => actions.seek(Number(event.target.value))}
          disabled={!track}
        />
        <span className="time muted" aria-label="Duration">
          {formatTime(duration)}
        </span>
      </div>
      <div className="player-side">
        {state.status === 'loading' && transcodeProgress == null && <span className="muted">Loading…</span>}
        {transcodeProgress != null && <span className="muted">Preparing streams… {transcodeProgress}%</span>}
        {state.mode && (
          <span className="badge" aria-label="Playback mode" title={state.fallbackReason ?? undefined}>
            {modeLabel[state.mode]}
          </span>
        )}
        {state.fallbackReason && (
          <span className="status-warn" role="status">
            {state.fallbackReason} — playing the original
          </span>
        )}
        {state.error && (
          <span className="status-bad" role="alert">
            {state.error}
          </span>
        )}
        <QualitySelector
          levels={state.levels}
          currentLevel={state.currentLevel}
          pinnedLevel={state.pinnedLevel}
          bandwidthEstimate={state.bandwidthEstimate}
          onSelect={actions.setLevel}
        />
        <button type="button" className="icon-button" aria-label={state.muted ? 'Unmute' : 'Mute'} aria-pressed={state.muted} onClick={actions.toggleMute}>
          <Icon name={state.muted ? 'muted' : 'volume'} />
        </button>
        <input
          className="volume"
          type="range"
          aria-label="Volume"
          min={0}
          max={1}
          step={0.05}
          value={state.muted ? 0 : state.volume}
          onChange={(event) => actions.setVolume(Number(event.target.value))}
        />
      </div>
    </footer>
  );
}
