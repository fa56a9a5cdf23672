import { useCallback, useEffect, useRef, useState } from 'react';
import type { SocketClient } from '../../lib/socket';
import type { Message, Presence, TypingEvent } from '../../lib/types';

const PAGE = 50;

const bySeq = (a: Message, b: Message) => a.seq - b.seq;

function merge(current: Message[], incoming: Message[]): Message[] {
  const map = new Map(current.map((m) => [m.id, m]));
  for (const message of incoming) map.set(message.id, message);
  return [...map.values()].sort(bySeq);
}

/** One room on screen: history pages, live messages, typing and presence. */
export function useRoom(socket: SocketClient, roomId: string | null) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [hasOlder, setHasOlder] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [typing, setTyping] = useState<Record<string, { name: string; until: number }>>({});
  const [presence, setPresence] = useState<Record<string, Presence>>({});
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  const loadingOlder = useRef(false);

  // Open the room: join (presence), latest page.
  useEffect(() => {
    if (!roomId) return;
    let live = true;
    setMessages([]);
    setHasOlder(true);
    setTyping({});
    setPresence({});
    setError(null);
    const open = () => {
      setLoading(true);
      socket
        .request('room:join', { room_id: roomId })
        .then(({ presence: list }) => live && setPresence(Object.fromEntries(list.map((p) => [p.user_id, p]))))
        .catch(() => undefined);
      const newest = messagesRef.current.at(-1);
      // After a reconnect, catch up from the newest message we have; else the latest page.
      const page = newest ? { room_id: roomId, after: newest.seq, limit: 200 } : { room_id: roomId, limit: PAGE };
      socket.request('history:fetch', page).then(
        ({ messages: fetched }) => {
          if (!live) return;
          setMessages((current) => merge(current, fetched));
          if (!newest) setHasOlder(fetched.length === PAGE);
          setLoading(false);
        },
        (cause: Error) => {
          if (!live) return;
          setError(cause.message);
          setLoading(false);
        },
      );
    };
    if (socket.isConnected()) open();
    const offConnect = socket.on('connect', open);
    return () => {
      live = false;
      offConnect();
    };
  }, [socket, roomId]);

  useEffect(() => {
    if (!roomId) return;
    const onNew = (message: Message) => message.room_id === roomId && setMessages((current) => merge(current, [message]));
    const onDeleted = (event: { room_id: string; message_id: string }) =>
      event.room_id === roomId &&
      setMessages((current) => current.map((m) => (m.id === event.message_id ? { ...m, is_deleted: true, content: '' } : m)));
    const onTyping = (event: TypingEvent) => {
      if (event.room_id !== roomId) return;
      setTyping((current) => ({ ...current, [event.user_id]: { name: event.display_name, until: Date.now() + 3500 } }));
    };
    const onPresence = (updates: Presence[]) => setPresence((current) => ({ ...current, ...Object.fromEntries(updates.map((update) => [update.user_id, update])) }));
    const offs = [
      socket.on('message:new', onNew),
      socket.on('message:updated', onNew),
      socket.on('message:deleted', onDeleted),
      socket.on('typing', onTyping),
      socket.on('presence:updates', onPresence),
    ];
    return () => offs.forEach((off) => off());
  }, [socket, roomId]);

  // A typing notice fades when no new one comes.
  useEffect(() => {
    const ids = Object.keys(typing);
    if (ids.length === 0) return;
    const next = Math.min(...ids.map((id) => typing[id]!.until)) - Date.now();
    const timer = window.setTimeout(() => {
      const now = Date.now();
      setTyping((current) => Object.fromEntries(Object.entries(current).filter(([, t]) => t.until > now)));
    }, Math.max(50, next));
    return () => window.clearTimeout(timer);
  }, [typing]);

  const loadOlder = useCallback(async (): Promise<boolean> => {
    const oldest = messagesRef.current[0];
    if (!roomId || !oldest || loadingOlder.current) return false;
    loadingOlder.current = true;
    try {
      const { messages: fetched } = await socket.request('history:fetch', { room_id: roomId, before: oldest.seq, limit: PAGE });
      messagesRef.current = merge(messagesRef.current, fetched);
      setMessages(messagesRef.current);
      setHasOlder(fetched.length === PAGE);
      return fetched.length > 0;
    } catch {
      return false;
    } finally {
      loadingOlder.current = false;
    }
  }, [socket, roomId]);

  /** Loads older pages until the message with this seq is in the list (search results). */
  const reveal = useCallback(
    async (seq: number): Promise<boolean> => {
      for (let page = 0; page < 40; page++) {
        if (messagesRef.current.some((m) => m.seq <= seq)) return true;
        if (!(await loadOlder())) return messagesRef.current.some((m) => m.seq <= seq);
      }
      return false;
    },
    [loadOlder],
  );

  const replace = useCallback((message: Message) => setMessages((current) => merge(current, [message])), []);

  return { messages, hasOlder, loading, error, typing, presence, loadOlder, reveal, replace };
}
