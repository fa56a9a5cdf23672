import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../lib/api';
import type { SocketClient } from '../../lib/socket';
import type { RoomMembers } from '../../lib/types';

/** Asking again for an author still unknown (they may have just joined) waits at least this long. */
const REFRESH_GAP_MS = 10_000;

/**
 * Display names by user id: the open room's members list, asked again (at most every 10 s) when an
 * author it lacks shows up, plus the names typing events carry. People who left the room stay unknown
 * (shown as "Member …") and are asked about once.
 */
export function useMemberNames(api: ApiClient, socket: SocketClient, roomId: string | null, self: { id: string; display_name: string }, authorIds: string[]) {
  const [names, setNames] = useState<Record<string, string>>({ [self.id]: self.display_name });
  const lastAsked = useRef(0);
  /** Authors already asked about in this room: someone who left stays unknown without asking again. */
  const askedAbout = useRef(new Set<string>());

  const learn = useCallback((people: { user_id: string; display_name: string }[]) => {
    setNames((current) => {
      const changed = people.filter((p) => current[p.user_id] !== p.display_name);
      return changed.length === 0 ? current : { ...current, ...Object.fromEntries(changed.map((p) => [p.user_id, p.display_name])) };
    });
  }, []);

  const askMembers = useCallback(
    (room: string) => {
      lastAsked.current = Date.now();
      api.get<RoomMembers>(`/rooms/${room}/members`).then(
        ({ members }) => learn(members),
        () => undefined, // names are a nicety: the list still works with "Member …"
      );
    },
    [api, learn],
  );

  useEffect(() => {
    askedAbout.current = new Set();
    if (roomId) askMembers(roomId);
  }, [roomId, askMembers]);

  const unknownIds = authorIds
    .filter((id) => !(id in names))
    .sort()
    .join(',');
  useEffect(() => {
    const fresh = unknownIds.split(',').filter((id) => id && !askedAbout.current.has(id));
    if (!roomId || fresh.length === 0) return;
    const timer = window.setTimeout(
      () => {
        for (const id of fresh) askedAbout.current.add(id);
        askMembers(roomId);
      },
      Math.max(0, lastAsked.current + REFRESH_GAP_MS - Date.now()),
    );
    return () => window.clearTimeout(timer);
  }, [roomId, unknownIds, askMembers]);

  useEffect(() => {
    const onTyping = (event: { user_id: string; display_name: string }) => learn([event]);
    return socket.on('typing', onTyping);
  }, [socket, learn]);

  return names;
}
