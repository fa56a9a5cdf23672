import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { formatClock, formatTime } from '../../lib/format';
import type { Message } from '../../lib/types';
import type { PendingMessage } from './outbox';

export interface MessageListProps {
  messages: Message[];
  pending: PendingMessage[];
  currentUserId: string;
  nameOf(userId: string): string;
  trackTitleOf(trackId: string): string | null;
  /** Messages after this seq (from others) are new: a divider goes before the first of them. */
  lastReadSeq: number;
  hasOlder: boolean;
  loading?: boolean;
  onLoadOlder(): Promise<unknown>;
  onEdit(message: Message, content: string): void;
  onDelete(message: Message): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
  onPlayAt(trackId: string, seconds: number): void;
  /** Message to scroll to and flash (search results). */
  focusId?: string | null;
}

/** The room's messages, oldest at the top; scrolling up loads history; sticks to the bottom while at it. */
export function MessageList(props: MessageListProps) {
  const { messages, pending, currentUserId, nameOf, lastReadSeq, hasOlder, onLoadOlder, focusId } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const firstNew = messages.find((m) => m.seq > lastReadSeq && m.user_id !== currentUserId);

  // Keep the view where it was when older messages are added above, or at the bottom when it was there.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (atBottom.current && !focusId) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages, pending, focusId]);

  useEffect(() => {
    if (!focusId) return;
    const target = scroller.current?.querySelector(`[data-message-id="${CSS.escape(focusId)}"]`);
    if (target) target.scrollIntoView({ block: 'center' });
  }, [focusId, messages]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 80 && hasOlder && !anchor.current) {
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      void onLoadOlder().then((added) => {
        if (!added) anchor.current = null;
      });
    }
  };

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite">
      {hasOlder && messages.length > 0 && (
        <button type="button" className="link load-older" onClick={() => ((anchor.current = { height: scroller.current!.scrollHeight, top: scroller.current!.scrollTop }), void onLoadOlder())}>
          Load older messages
        </button>
      )}
      {!hasOlder && messages.length > 0 && <p className="muted small center-text">Beginning of the room</p>}
      {messages.length === 0 && pending.length === 0 && !props.loading && <p className="muted center-text">No messages yet. Say hello!</p>}
      {messages.map((message) => (
        <div key={message.id}>
          {firstNew === message && (
            <div className="divider" role="separator" aria-label="New messages">
              <span>New messages</span>
            </div>
          )}
          <MessageItem
            message={message}
            own={message.user_id === currentUserId}
            author={nameOf(message.user_id)}
            focused={message.id === focusId}
            editing={editing === message.id}
            onStartEdit={() => setEditing(message.id)}
            onStopEdit={() => setEditing(null)}
            {...props}
          />
        </div>
      ))}
      {pending.map((item) => (
        <article key={item.client_id} className={`message own pending ${item.state}`} aria-label={`Your message, ${item.state === 'failed' ? 'not sent' : 'sending'}`}>
          <header>
            <strong>You</strong>
            <span className="muted small">{item.state === 'failed' ? 'Not sent' : item.state === 'waiting' ? (item.error ?? 'Waiting for connection…') : 'Sending…'}</span>
          </header>
          <p className="content">{item.content}</p>
          {item.state === 'failed' && (
            <div className="message-actions visible">
              <span className="status-bad small">{item.error}</span>
              <button type="button" className="link" onClick={() => props.onRetry(item.client_id)}>
                Retry
              </button>
              <button type="button" className="link" onClick={() => props.onDiscard(item.client_id)}>
                Discard
              </button>
            </div>
          )}
        </article>
      ))}
    </div>
  );
}

interface MessageItemProps extends MessageListProps {
  message: Message;
  own: boolean;
  author: string;
  focused: boolean;
  editing: boolean;
  onStartEdit(): void;
  onStopEdit(): void;
}

function MessageItem({ message, own, author, focused, editing, onStartEdit, onStopEdit, onEdit, onDelete, onPlayAt, trackTitleOf }: MessageItemProps) {
  const [draft, setDraft] = useState(message.content);
  const trackTitle = message.track_id ? trackTitleOf(message.track_id) : null;
  const save = () => {
    const content = draft.trim();
    if (content && content !== message.content) onEdit(message, content);
    onStopEdit();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    } else if (event.key === 'Escape') {
      setDraft(message.content);
      onStopEdit();
    }
  };
  return (
    <article className={`message${own ? ' own' : ''}${focused ? ' focused' : ''}`} data-message-id={message.id} aria-label={`Message from ${own ? 'you' : author}`}>
      <header>
        <strong>{own ? 'You' : author}</strong>
        <time className="muted small" dateTime={message.created_at}>
          {formatClock(message.created_at)}
        </time>
        {message.edited_at && !message.is_deleted && <span className="muted small">(edited)</span>}
      </header>
      {message.is_deleted ? (
        <p className="content muted deleted">Message deleted</p>
      ) : editing ? (
        <div className="edit-box">
          <textarea aria-label="Edit message" value={draft} onChange={(event) => setDraft(event.target.value)} onKeyDown={onKeyDown} autoFocus rows={2} />
          <button type="button" onClick={save}>
            Save
          </button>
          <button type="button" onClick={() => (setDraft(message.content), onStopEdit())}>
            Cancel
          </button>
        </div>
      ) : (
        <p className="content">{message.content}</p>
      )}
      {!message.is_deleted && message.track_id && message.track_time_s != null && (
        <button
          type="button"
          className="chip time-chip"
          aria-label={`Play ${trackTitle ?? 'the track'} at ${formatTime(message.track_time_s)}`}
          onClick={() => onPlayAt(message.track_id!, message.track_time_s!)}
        >
          ▶ at {formatTime(message.track_time_s)}
          {trackTitle && <span className="muted"> · {trackTitle}</span>}
        </button>
      )}
      {own && !message.is_deleted && !editing && (
        <div className="message-actions">
          <button type="button" className="link" aria-label="Edit your message" onClick={() => (setDraft(message.content), onStartEdit())}>
            Edit
          </button>
          <button type="button" className="link" aria-label="Delete your message" onClick={() => onDelete(message)}>
            Delete
          </button>
        </div>
      )}
    </article>
  );
}
