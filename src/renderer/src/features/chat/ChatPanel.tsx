import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ROOM_NAME_MAX_LENGTH } from '../../../../shared/limits';
import { useServices } from '../../lib/services';
import type { Message, SearchHit, Track } from '../../lib/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Icon } from '../../ui/Icon';
import { usePlayerEngine } from '../player/player-context';
import { Composer, type PlayerPosition } from './Composer';
import { MessageList } from './MessageList';
import { lastRead } from './outbox';
import { PresenceList } from './PresenceList';
import { SearchPanel } from './SearchPanel';
import { useOutbox } from './use-outbox';
import { useMemberNames } from './use-member-names';
import { useRoom } from './use-room';
import { useRooms } from './use-rooms';

interface ChatPanelProps {
  tracks: Track[];
  onPlayAt(track: Track, seconds: number): void;
}

/** Rooms, messages, presence and search: talking about the tracks, at the second that matters. */
export function ChatPanel({ tracks, onPlayAt }: ChatPanelProps) {
  const { api, socket, user } = useServices();
  const engine = usePlayerEngine();
  const [roomId, setRoomId] = useState<string | null>(() => sessionStorage.getItem('veza.room'));
  const { rooms, unread, error: roomsError, create } = useRooms(api, socket, roomId, user.id);
  const room = useRoom(socket, roomId);
  const outbox = useOutbox(socket, room.replace);
  const [searching, setSearching] = useState(false);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [readAtOpen, setReadAtOpen] = useState(0);

  // First visit: the default room.
  useEffect(() => {
    if (rooms.length === 0) return;
    if (!roomId || !rooms.some((r) => r.id === roomId)) setRoomId((rooms.find((r) => r.is_default) ?? rooms[0]!).id);
  }, [rooms, roomId]);

  useEffect(() => {
    if (!roomId) return;
    sessionStorage.setItem('veza.room', roomId);
    setReadAtOpen(lastRead.get(roomId));
    setFocusId(null);
  }, [roomId]);

  // What is on screen counts as read.
  const newest = room.messages.at(-1);
  useEffect(() => {
    if (roomId && newest) lastRead.set(roomId, newest.seq);
  }, [roomId, newest]);

  const authorIds = useMemo(() => [...new Set([...room.messages.map((m) => m.user_id), ...Object.keys(room.presence)])], [room.messages, room.presence]);
  const names = useMemberNames(api, socket, roomId, user, authorIds);
  const nameOf = useCallback((id: string) => names[id] ?? `Member ${id.slice(0, 4)}`, [names]);
  const titles = useMemo(() => new Map(tracks.map((t) => [t.id, t.title])), [tracks]);
  const trackTitleOf = useCallback((id: string) => titles.get(id) ?? null, [titles]);

  const position = useCallback((): PlayerPosition | null => {
    const state = engine.getState();
    return state.track ? { trackId: state.track.id, title: state.track.title, seconds: Math.floor(state.currentTime) } : null;
  }, [engine]);
  const playerTrack = useSyncTrack(engine);

  const playAt = useCallback(
    async (trackId: string, seconds: number) => {
      const state = engine.getState();
      if (state.track?.id === trackId && state.status !== 'error') {
        engine.seek(seconds);
        engine.play();
        return;
      }
      try {
        const track = tracks.find((t) => t.id === trackId) ?? (await api.get<Track>(`/tracks/${trackId}`));
        onPlayAt(track, seconds);
      } catch (cause) {
        setActionError(cause instanceof Error ? `That track cannot be played: ${cause.message}` : 'That track cannot be played.');
      }
    },
    [engine, tracks, api, onPlayAt],
  );

  const jump = useCallback(
    async (hit: SearchHit) => {
      if (await room.reveal(hit.seq)) setFocusId(hit.id);
    },
    [room],
  );

  const edit = (message: Message, content: string) =>
    socket.request('message:edit', { message_id: message.id, content }).then(
      ({ message: updated }) => room.replace(updated),
      (cause: Error) => setActionError(`Edit failed: ${cause.message}`),
    );

  const current = rooms.find((r) => r.id === roomId);
  const pending = outbox.items.filter((item) => item.room_id === roomId);

  return (
    <section className="chat panel" aria-labelledby="chat-title">
      <div className="panel-head">
        <h2 id="chat-title">Chat</h2>
        <button type="button" className="icon-button" aria-label="Search messages" aria-pressed={searching} onClick={() => setSearching((v) => !v)} disabled={!roomId}>
          <Icon name="search" />
        </button>
      </div>
      <div className="chat-body">
        <nav className="rooms" aria-label="Rooms">
          <ul>
            {rooms.map((r) => (
              <li key={r.id}>
                <button type="button" className={`room${r.id === roomId ? ' active' : ''}`} aria-current={r.id === roomId ? 'true' : undefined} onClick={() => setRoomId(r.id)}>
                  # {r.name}
                  {(unread[r.id] ?? 0) > 0 && (
                    <span className="unread" aria-label={`${unread[r.id]} unread`}>
                      {unread[r.id]}
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ul>
          <NewRoomForm onCreate={(name) => create(name).then((r) => setRoomId(r.id))} />
          {roomsError && <p className="status-bad small">{roomsError}</p>}
          {roomId && <PresenceList presence={room.presence} nameOf={nameOf} trackTitleOf={trackTitleOf} currentUserId={user.id} />}
        </nav>
        <div className="room-view">
          {searching && roomId && <SearchPanel socket={socket} roomId={roomId} nameOf={nameOf} onJump={(hit) => void jump(hit)} onClose={() => setSearching(false)} />}
          {(actionError || room.error) && (
            <p className="status-bad" role="alert">
              {actionError ?? room.error}{' '}
              <button type="button" className="link" onClick={() => setActionError(null)}>
                Dismiss
              </button>
            </p>
          )}
          <MessageList
            messages={room.messages}
            pending={pending}
            currentUserId={user.id}
            nameOf={nameOf}
            trackTitleOf={trackTitleOf}
            lastReadSeq={readAtOpen}
            hasOlder={room.hasOlder}
            loading={room.loading}
            onLoadOlder={room.loadOlder}
            onEdit={(message, content) => void edit(message, content)}
            onDelete={setDeleting}
            onRetry={outbox.retry}
            onDiscard={outbox.discard}
            onPlayAt={(trackId, seconds) => void playAt(trackId, seconds)}
            focusId={focusId}
          />
          <TypingLine typing={room.typing} />
          {roomId && current && (
            <Composer
              roomId={roomId}
              roomName={current.name}
              position={position}
              hasTrack={playerTrack}
              onTyping={() => socket.notify('typing', { room_id: roomId })}
              onSend={(content, at) => outbox.send({ room_id: roomId, content, track_id: at?.trackId ?? null, track_time_s: at?.seconds ?? null })}
            />
          )}
        </div>
      </div>
      {deleting && (
        <ConfirmDialog
          title="Delete this message?"
          message="It will show as deleted for everyone."
          confirmLabel="Delete"
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const message = deleting;
            setDeleting(null);
            socket.request('message:delete', { message_id: message.id }).catch((cause: Error) => setActionError(`Delete failed: ${cause.message}`));
          }}
        />
      )}
    </section>
  );
}

function useSyncTrack(engine: ReturnType<typeof usePlayerEngine>): boolean {
  const [hasTrack, setHasTrack] = useState(() => engine.getState().track !== null);
  useEffect(() => engine.subscribe(() => setHasTrack(engine.getState().track !== null)), [engine]);
  return hasTrack;
}

function TypingLine({ typing }: { typing: Record<string, { name: string }> }) {
  const names = Object.values(typing).map((t) => t.name);
  return (
    <p className="typing muted small" role="status" aria-label="Typing">
      {names.length === 0 ? '\u00a0' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`}
    </p>
  );
}

function NewRoomForm({ onCreate }: { onCreate(name: string): Promise<unknown> }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    onCreate(trimmed).then(
      () => (setName(''), setError(null)),
      (cause: Error) => setError(cause.message),
    );
  };
  return (
    <form className="new-room" onSubmit={submit}>
      <input aria-label="New room name" placeholder="New room" value={name} maxLength={ROOM_NAME_MAX_LENGTH} onChange={(event) => setName(event.target.value)} />
      <button type="submit" className="icon-button" aria-label="Create room">
        <Icon name="plus" />
      </button>
      {error && <p className="status-bad small">{error}</p>}
    </form>
  );
}
