import { createContext, useContext, useSyncExternalStore } from 'react';
import type { PlayerEngine, PlayerState } from './player-engine';

export const PlayerContext = createContext<PlayerEngine | null>(null);

export function usePlayerEngine(): PlayerEngine {
  const engine = useContext(PlayerContext);
  if (!engine) throw new Error('usePlayerEngine outside <PlayerContext>');
  return engine;
}

export function usePlayerState(): PlayerState {
  const engine = usePlayerEngine();
  return useSyncExternalStore(engine.subscribe, engine.getState);
}

/** The id of the track in the player (playing or not), for marking it in lists. */
export function usePlayerTrackId(engine: PlayerEngine): string | null {
  return useSyncExternalStore(engine.subscribe, () => engine.getState().track?.id ?? null);
}
