import { useEffect, useState } from 'react';
import type { Health } from '../../../shared/api';
import { API_PREFIX } from '../../../shared/routes';
import { LoginForm } from '../features/auth/LoginForm';
import { useSession } from '../features/auth/use-session';
import { DesktopSettingsPanel } from '../features/settings/DesktopSettingsPanel';
import { Workspace } from './Workspace';

/** Signs in (desktop token, owner link, or the login form), then shows the workspace. */
export function App() {
  const { session, signIn, signOut } = useSession();
  const [health, setHealth] = useState<Health | null>(null);
  const [healthError, setHealthError] = useState<string | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const baseUrl = session.phase === 'starting' ? null : session.api.baseUrl;

  useEffect(() => {
    if (baseUrl === null) return;
    fetch(`${baseUrl}${API_PREFIX}/health`)
      .then((response) => response.json() as Promise<Health>)
      .then(setHealth, () => setHealthError('The server does not answer.'));
  }, [baseUrl]);

  return (
    <div className="app">
      <header className="topbar">
        <h1>Veza</h1>
        <section className="server-status" aria-label="Server status">
          {healthError && <span className="status-bad">{healthError}</span>}
          {health && (
            <span>
              Server <strong className={health.status === 'ok' ? 'status-ok' : 'status-bad'}>{health.status}</strong>{' '}
              <span className="muted">
                ({health.mode} mode, v{health.version})
              </span>
            </span>
          )}
          <span className="muted">{session.phase === 'signed-in' ? `Signed in as ${session.user.display_name}` : 'Not signed in'}</span>
        </section>
        {window.veza && (
          <button type="button" className="link" aria-expanded={settingsOpen} onClick={() => setSettingsOpen((open) => !open)}>
            Settings
          </button>
        )}
        {session.phase === 'signed-in' && !window.veza && (
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      {settingsOpen && (
        <div className="settings-drawer">
          <DesktopSettingsPanel />
        </div>
      )}
      {session.phase === 'signed-out' && (
        <main className="center">
          {session.reason && (
            <p className="status-warn" role="status">
              {session.reason}
            </p>
          )}
          <LoginForm api={session.api} onSignedIn={signIn} />
        </main>
      )}
      {session.phase === 'signed-in' && <Workspace key={session.token} api={session.api} user={session.user} token={session.token} />}
    </div>
  );
}
