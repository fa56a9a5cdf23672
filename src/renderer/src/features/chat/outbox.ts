import type { SendMessagePayload } from '../../lib/types';

/** A message sent optimistically and not yet confirmed by the server. */
export interface PendingMessage extends SendMessagePayload {
  client_id: string;
  created_at: string;
  state: 'sending' | 'waiting' | 'failed';
  error: string | null;
}

/**
 * Unconfirmed sends survive reloads and reconnects (sessionStorage): they are retried with the same
 * client_id, which the server deduplicates, so a retry never doubles a message.
 */
export function loadOutbox(storage: Storage, key = 'veza.outbox'): PendingMessage[] {
  try {
    const parsed = JSON.parse(storage.getItem(key) ?? '[]') as PendingMessage[];
    return Array.isArray(parsed) ? parsed.map((item) => ({ ...item, state: item.state === 'failed' ? 'failed' : 'waiting' })) : [];
  } catch {
    return [];
  }
}

export function saveOutbox(storage: Storage, items: PendingMessage[], key = 'veza.outbox'): void {
  if (items.length === 0) storage.removeItem(key);
  else storage.setItem(key, JSON.stringify(items));
}

/** Drafts per room, so switching rooms or losing the connection loses nothing typed. */
export const drafts = {
  get: (roomId: string) => sessionStorage.getItem(`veza.draft.${roomId}`) ?? '',
  set: (roomId: string, text: string) =>
    text ? sessionStorage.setItem(`veza.draft.${roomId}`, text) : sessionStorage.removeItem(`veza.draft.${roomId}`),
};

/** Where the user stopped reading, per room (the new-messages divider). */
export const lastRead = {
  get: (roomId: string) => Number(localStorage.getItem(`veza.read.${roomId}`) ?? 0),
  set: (roomId: string, seq: number) => {
    if (seq > lastRead.get(roomId)) localStorage.setItem(`veza.read.${roomId}`, String(seq));
  },
};
