import { useEffect } from 'react';
import type { SocketClient } from '../../lib/socket';
import type { PlayerEngine } from '../player/player-engine';

/**
 * Reports what is playing to presence ("listening to …"): the track while it plays, null otherwise.
 * Said again after each (re)connect, since the server forgets it with the socket.
 */
export function useListeningReport(socket: SocketClient, player: Pick<PlayerEngine, 'getState' | 'subscribe'>): void {
  useEffect(() => {
    let reported: string | null = null;
    const report = (force = false) => {
      const state = player.getState();
      const listening = state.status === 'playing' ? (state.track?.id ?? null) : null;
      if (listening === reported && !force) return;
      reported = listening;
      socket.notify('presence:listening', { track_id: listening });
    };
    const offConnect = socket.on('connect', () => report(true));
    const unsubscribe = player.subscribe(() => report());
    return () => {
      unsubscribe();
      offConnect();
    };
  }, [player, socket]);
}
