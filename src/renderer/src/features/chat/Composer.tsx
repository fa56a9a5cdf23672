import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { MESSAGE_MAX_LENGTH } from '../../../../shared/limits';
import { formatTime } from '../../lib/format';
import { drafts } from './outbox';

export interface PlayerPosition {
  trackId: string;
  title: string;
  seconds: number;
}

interface ComposerProps {
  roomId: string;
  roomName: string;
  /** The player's current position, to attach as an "at 1:23" chip. */
  position(): PlayerPosition | null;
  hasTrack: boolean;
  onSend(content: string, at: PlayerPosition | null): void;
  onTyping(): void;
}

/** Enter sends, Shift+Enter adds a line; the draft is kept per room across reloads and room switches. */
export function Composer({ roomId, roomName, position, hasTrack, onSend, onTyping }: ComposerProps) {
  const [text, setText] = useState(() => drafts.get(roomId));
  const [attach, setAttach] = useState(false);
  const lastTyping = useRef(0);

  useEffect(() => setText(drafts.get(roomId)), [roomId]);

  const change = (value: string) => {
    setText(value);
    drafts.set(roomId, value);
    if (value && Date.now() - lastTyping.current > 2000) {
      lastTyping.current = Date.now();
      onTyping();
    }
  };

  const send = () => {
    const content = text.trim();
    if (!content) return;
    onSend(content, attach ? position() : null);
    setText('');
    drafts.set(roomId, '');
    setAttach(false);
    lastTyping.current = 0;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const now = attach ? position() : null;
  return (
    <form className="composer" onSubmit={(event: FormEvent) => (event.preventDefault(), send())}>
      <textarea
        aria-label={`Message ${roomName}`}
        placeholder={`Message #${roomName} (Enter to send, Shift+Enter for a new line)`}
        value={text}
        rows={2}
        maxLength={MESSAGE_MAX_LENGTH}
        onChange={(event) => change(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-actions">
        <button
          type="button"
          className="chip"
          aria-pressed={attach}
          disabled={!hasTrack}
          aria-label="Attach the player position"
          title="Attach the current track and time to the message"
          onClick={() => setAttach((value) => !value)}
        >
          {now ? `at ${formatTime(now.seconds)}` : 'Attach time'}
        </button>
        <button type="submit" className="primary" disabled={!text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
