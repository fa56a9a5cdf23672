import { useEffect } from 'react';
import { usePlayerEngine, usePlayerState } from './player-context';
import { PlayerBarView } from './PlayerBarView';

function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON'].includes(target.tagName) || target.getAttribute('role') === 'slider';
}

/** The always-visible player: the engine's state, keyboard shortcuts and MediaSession. */
export function PlayerBar() {
  const engine = usePlayerEngine();
  const state = usePlayerState();

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || isTypingTarget(event.target)) return;
      if (event.key === ' ') engine.toggle();
      else if (event.key === 'ArrowLeft') engine.seekBy(-5);
      else if (event.key === 'ArrowRight') engine.seekBy(5);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [engine]);

  const track = state.track;
  useEffect(() => {
    if (!('mediaSession' in navigator)) return;
    const session = navigator.mediaSession;
    session.metadata = track ? new MediaMetadata({ title: track.title, artist: track.artist, album: 'Veza' }) : null;
    const handlers: [MediaSessionAction, MediaSessionActionHandler][] = [
      ['play', () => engine.play()],
      ['pause', () => engine.pause()],
      ['seekbackward', (details) => engine.seekBy(-(details.seekOffset ?? 5))],
      ['seekforward', (details) => engine.seekBy(details.seekOffset ?? 5)],
      ['seekto', (details) => details.seekTime != null && engine.seek(details.seekTime)],
    ];
    for (const [action, handler] of handlers) {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    }
    return () => handlers.forEach(([action]) => session.setActionHandler(action, null));
  }, [engine, track]);

  useEffect(() => {
    if ('mediaSession' in navigator) navigator.mediaSession.playbackState = state.status === 'playing' ? 'playing' : state.status === 'paused' ? 'paused' : 'none';
  }, [state.status]);

  return <PlayerBarView state={state} actions={engine} />;
}
