import { useState, type FormEvent } from 'react';
import { formatClock } from '../../lib/format';
import type { SocketClient } from '../../lib/socket';
import type { SearchHit } from '../../lib/types';
import { Highlight } from './Highlight';

/** Full-text search in the room; results show the snippet with matches marked; a click jumps there. */
export function SearchPanel({ socket, roomId, nameOf, onJump, onClose }: { socket: SocketClient; roomId: string; nameOf(id: string): string; onJump(hit: SearchHit): void; onClose(): void }) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ hits: SearchHit[]; total: number; capped: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const search = (event: FormEvent) => {
    event.preventDefault();
    const q = query.trim();
    if (!q) return;
    socket.request('search', { room_id: roomId, q, limit: 30 }).then(
      ({ messages, total, total_capped }) => {
        // Past the server's rank window (the newest 200 matches) it stops counting: "200+ results".
        setResults({ hits: messages, total, capped: total_capped });
        setError(null);
      },
      (cause: Error) => setError(cause.message),
    );
  };

  return (
    <div className="search" role="search" aria-label="Search messages">
      <form onSubmit={search} className="search-form">
        <input type="search" aria-label="Search this room" placeholder="Search this room" value={query} onChange={(event) => setQuery(event.target.value)} autoFocus />
        <button type="submit">Search</button>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </form>
      {error && (
        <p className="status-bad" role="alert">
          {error}
        </p>
      )}
      {results && (
        <div aria-label="Search results">
          <p className="muted small">
            {results.total}
            {results.capped ? '+' : ''} result{results.total === 1 && !results.capped ? '' : 's'}
          </p>
          <ul className="search-results">
            {results.hits.map((hit) => (
              <li key={hit.id}>
                <button type="button" className="search-hit" onClick={() => onJump(hit)}>
                  <span className="muted small">
                    {nameOf(hit.user_id)} · {formatClock(hit.created_at)}
                  </span>
                  <span className="snippet">
                    <Highlight text={hit.snippet} ranges={hit.highlights} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
