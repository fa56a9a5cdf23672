import { useCallback, useEffect, useRef, useState } from 'react';
import type { User } from '../../../shared/api';
import { ChatPanel } from '../features/chat/ChatPanel';
import { Library } from '../features/library/Library';
import { useLibrary } from '../features/library/use-library';
import { PlayerBar } from '../features/player/PlayerBar';
import { PlayerContext, usePlayerTrackId } from '../features/player/player-context';
import { PlayerEngine } from '../features/player/player-engine';
import { storedQualityPreference } from '../features/player/quality';
import { useListeningReport } from '../features/presence/use-listening-report';
import type { ApiClient } from '../lib/api';
import { ServicesContext, type AppServices } from '../lib/services';
import { createSocketClient, type SocketClient } from '../lib/socket';
import type { Track } from '../lib/types';
import { ConnectionBanner } from './ConnectionBanner';

/** The signed-in app: one socket and one player per session. */
export function Workspace({ api, user, token }: { api: ApiClient; user: User; token: string }) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [socket, setSocket] = useState<SocketClient | null>(null);
  const [engine, setEngine] = useState<PlayerEngine | null>(null);

  useEffect(() => {
    const client = createSocketClient(api.baseUrl, token);
    setSocket(client);
    return () => client.close();
  }, [api, token]);

  useEffect(() => {
    const player = new PlayerEngine({ api, audio: audioRef.current!, quality: storedQualityPreference() });
    setEngine(player);
    return () => player.destroy();
  }, [api]);

  return (
    <>
      {/* The one media element; hls.js attaches to it. */}
      <audio ref={audioRef} preload="auto" data-testid="player-audio" />
      {socket && engine ? (
        <ServicesContext.Provider value={{ api, socket, user }}>
          <PlayerContext.Provider value={engine}>
            <SignedIn services={{ api, socket, user }} engine={engine} />
          </PlayerContext.Provider>
        </ServicesContext.Provider>
      ) : (
        <main className="center muted">Connecting…</main>
      )}
    </>
  );
}

function SignedIn({ services, engine }: { services: AppServices; engine: PlayerEngine }) {
  const { api, socket } = services;
  const onTrackGone = useCallback((id: string) => engine.unload(id), [engine]);
  const onTrackChanged = useCallback((track: Track) => engine.updateTrack(track), [engine]);
  const library = useLibrary(api, socket, onTrackGone, onTrackChanged);
  const playingId = usePlayerTrackId(engine);
  useListeningReport(socket, engine);

  const play = useCallback((track: Track, startAt?: number) => void engine.load(track, { startAt }), [engine]);

  return (
    <>
      <ConnectionBanner socket={socket} />
      <main className="workspace">
        <Library model={library} playingId={playingId} onPlay={(track) => play(track)} />
        <ChatPanel tracks={library.tracks} onPlayAt={play} />
      </main>
      <PlayerBar />
    </>
  );
}
