import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../../lib/api';
import type { SocketClient } from '../../lib/socket';
import type { Message, Room } from '../../lib/types';

/** Rooms list, room creation, and unread counts from `message:new` in rooms not on screen. */
export function useRooms(api: ApiClient, socket: SocketClient, activeRoomId: string | null, userId: string) {
  const [rooms, setRooms] = useState<Room[]>([]);
  const [unread, setUnread] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    api.get<{ rooms: Room[] }>('/rooms?limit=500').then(
      (list) => {
        setRooms(list.rooms);
        setError(null);
      },
      (cause: Error) => setError(cause.message),
    );
  }, [api]);

  useEffect(() => {
    reload();
    return socket.on('reconnect', reload);
  }, [socket, reload]);

  useEffect(() => {
    const onMessage = (message: Message) => {
      if (message.room_id === activeRoomId || message.user_id === userId) return;
      setUnread((current) => ({ ...current, [message.room_id]: (current[message.room_id] ?? 0) + 1 }));
    };
    return socket.on('message:new', onMessage);
  }, [socket, activeRoomId, userId]);

  useEffect(() => {
    if (activeRoomId) setUnread((current) => ({ ...current, [activeRoomId]: 0 }));
  }, [activeRoomId]);

  const create = useCallback(
    async (name: string) => {
      const room = await api.post<Room>('/rooms', { name });
      setRooms((current) => [...current.filter((r) => r.id !== room.id), room]);
      return room;
    },
    [api],
  );

  return { rooms, unread, error, create };
}
