import { useEffect, useState } from 'react';
import type { Health, User } from '../../../shared/api';
import { API_PREFIX } from '../../../shared/routes';
import { resolveToken } from '../lib/session';

export function App() {
  const [health, setHealth] = useState<Health | null>(null);
  const [user, setUser] = useState<User | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetch(`${API_PREFIX}/health`)
      .then((response) => response.json() as Promise<Health>)
      .then(setHealth, () => setError('The server does not answer.'));
    void resolveToken().then(async (token) => {
      if (!token) return;
      const response = await fetch(`${API_PREFIX}/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
      if (response.ok) setUser((await response.json()) as User);
    });
  }, []);

  return (
    <main>
      <h1>Veza</h1>
      <section className="card" aria-label="Server status">
        {error && <p className="status-bad">{error}</p>}
        {health && (
          <p>
            Server <strong className={health.status === 'ok' ? 'status-ok' : 'status-bad'}>{health.status}</strong>{' '}
            <span className="muted">
              ({health.mode} mode, v{health.version})
            </span>
          </p>
        )}
        <p className="muted">{user ? `Signed in as ${user.display_name}` : 'Not signed in'}</p>
      </section>
    </main>
  );
}
