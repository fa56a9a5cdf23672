import type { Presence } from '../../lib/types';

/** Who is in the room: a dot for online/offline and what they are listening to. */
export function PresenceList({ presence, nameOf, currentUserId }: { presence: Record<string, Presence>; nameOf(id: string): string; currentUserId: string }) {
  const people = Object.values(presence).sort((a, b) => (a.status === b.status ? nameOf(a.user_id).localeCompare(nameOf(b.user_id)) : a.status === 'online' ? -1 : 1));
  if (people.length === 0) return null;
  return (
    <div className="presence" aria-label="People in this room">
      <h3 className="small muted">People</h3>
      <ul>
        {people.map((p) => (
          <li key={p.user_id} data-user-id={p.user_id}>
            <span className={`dot ${p.status}`} aria-label={p.status} role="img" />
            <span>
              {nameOf(p.user_id)}
              {p.user_id === currentUserId ? ' (you)' : ''}
              {p.status === 'online' && p.track_name && <span className="listening muted small">listening to {p.track_name}</span>}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
