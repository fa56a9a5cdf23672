import type { Presence } from '../../lib/types';

/** Who is in the room: a dot for online/offline and what they are listening to. */
export function PresenceList({ presence, nameOf, trackTitleOf, currentUserId }: { presence: Record<string, Presence>; nameOf(id: string): string; trackTitleOf(id: string): string | null; currentUserId: string }) {
  const people = Object.values(presence).sort((a, b) => (a.status === b.status ? nameOf(a.user_id).localeCompare(nameOf(b.user_id)) : a.status === 'online' ? -1 : 1));
  if (people.length === 0) return null;
  return (
    <div className="presence" aria-label="People in this room">
      <h3 className="small muted">People</h3>
      <ul>
        {people.map((p) => {
          // The server names the track when it can; else the library knows it.
          const listening = p.track_name ?? (p.track_id ? trackTitleOf(p.track_id) : null);
          return (
          <li key={p.user_id} data-user-id={p.user_id}>
            <span className={`dot ${p.status}`} aria-label={p.status} role="img" />
            <span>
              {nameOf(p.user_id)}
              {p.user_id === currentUserId ? ' (you)' : ''}
              {p.status === 'online' && listening && <span className="listening muted small">listening to {listening}</span>}
            </span>
          </li>
          );
        })}
      </ul>
    </div>
  );
}
