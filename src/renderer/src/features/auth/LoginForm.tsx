import { useState, type FormEvent } from 'react';
import type { AuthResult } from '../../../../shared/api';
import { ApiError, type ApiClient } from '../../lib/api';

/** Team servers: username + password → bearer token. Solo owners use the link the server printed. */
export function LoginForm({ api, onSignedIn }: { api: ApiClient; onSignedIn(result: AuthResult): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.post<AuthResult>('/auth/login', { username, password }));
    } catch (cause) {
      if (cause instanceof ApiError && cause.status === 401) setError('Wrong username or password.');
      else setError(cause instanceof Error ? cause.message : 'Sign-in failed.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="login card" onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
      <h2 id="login-title">Sign in</h2>
      <label>
        Username
        <input name="username" autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.target.value)} required />
      </label>
      {error && (
        <p className="status-bad" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted small">Running Veza on your own machine? Open the link the server printed when it started: it signs you in as the owner.</p>
    </form>
  );
}
