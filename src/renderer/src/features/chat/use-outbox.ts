import { useCallback, useEffect, useRef, useState } from 'react';
import { randomId } from '../../lib/format';
import { SocketRequestError, type SocketClient } from '../../lib/socket';
import type { Message, SendMessagePayload } from '../../lib/types';
import { loadOutbox, saveOutbox, type PendingMessage } from './outbox';

/** Optimistic sends: shown at once, confirmed by the ack (or `message:new`), retried after reconnects. */
export function useOutbox(socket: SocketClient, onConfirmed: (message: Message) => void) {
  const [items, setItems] = useState<PendingMessage[]>(() => loadOutbox(sessionStorage));
  const itemsRef = useRef(items);
  const confirmedRef = useRef(onConfirmed);
  confirmedRef.current = onConfirmed;

  const update = useCallback((change: (current: PendingMessage[]) => PendingMessage[]) => {
    itemsRef.current = change(itemsRef.current);
    saveOutbox(sessionStorage, itemsRef.current);
    setItems(itemsRef.current);
  }, []);

  const confirm = useCallback(
    (message: Message) => {
      if (itemsRef.current.some((item) => item.client_id === message.client_id)) {
        update((current) => current.filter((item) => item.client_id !== message.client_id));
      }
    },
    [update],
  );

  const attempt = useCallback(
    (item: PendingMessage) => {
      if (!socket.isConnected()) {
        update((current) => current.map((i) => (i.client_id === item.client_id ? { ...i, state: 'waiting' } : i)));
        return;
      }
      update((current) => current.map((i) => (i.client_id === item.client_id ? { ...i, state: 'sending', error: null } : i)));
      const { room_id, client_id, content, track_id, track_time_s } = item;
      socket.request('message:send', { room_id, client_id, content, track_id, track_time_s }).then(
        ({ message }) => {
          confirm(message);
          confirmedRef.current(message);
        },
        (error: unknown) => {
          const code = error instanceof SocketRequestError ? error.code : 'UNKNOWN';
          if (code === 'TIMEOUT' || !socket.isConnected()) {
            // Retried on the next connect; the same client_id keeps it from doubling.
            update((current) => current.map((i) => (i.client_id === client_id ? { ...i, state: 'waiting' } : i)));
          } else if (code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE') {
            // Passes with time (the server's database or shared store is back in seconds): say so, try again.
            const reason = code === 'SERVICE_UNAVAILABLE' && error instanceof Error ? `${error.message.replace(/; try again shortly$/, '')} — retrying…` : null;
            update((current) => current.map((i) => (i.client_id === client_id ? { ...i, state: 'waiting', error: reason } : i)));
            window.setTimeout(() => {
              const again = itemsRef.current.find((i) => i.client_id === client_id);
              if (again) attempt(again);
            }, code === 'RATE_LIMITED' ? 1000 : 3000);
          } else {
            const text = error instanceof Error ? error.message : 'Not sent';
            update((current) => current.map((i) => (i.client_id === client_id ? { ...i, state: 'failed', error: text } : i)));
          }
        },
      );
    },
    [socket, update, confirm],
  );

  useEffect(() => {
    const flush = () => itemsRef.current.filter((item) => item.state !== 'failed').forEach(attempt);
    const offConnect = socket.on('connect', flush);
    const offNew = socket.on('message:new', confirm);
    if (socket.isConnected()) flush();
    return () => {
      offConnect();
      offNew();
    };
  }, [socket, attempt, confirm]);

  const send = useCallback(
    (payload: Omit<SendMessagePayload, 'client_id'>) => {
      const item: PendingMessage = { ...payload, client_id: randomId(), created_at: new Date().toISOString(), state: 'sending', error: null };
      update((current) => [...current, item]);
      attempt(item);
    },
    [attempt, update],
  );

  const retry = useCallback((clientId: string) => {
    const item = itemsRef.current.find((i) => i.client_id === clientId);
    if (item) attempt(item);
  }, [attempt]);

  const discard = useCallback((clientId: string) => update((current) => current.filter((i) => i.client_id !== clientId)), [update]);

  return { items, send, retry, discard };
}
