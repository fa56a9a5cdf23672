import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AuthResult, User } from '../../../../shared/api';
import { createApiClient, type ApiClient } from '../../lib/api';
import { forgetToken, rememberToken, resolveSession, takeOwnerLinkToken } from '../../lib/session';

export type SessionState =
  | { phase: 'starting' }
  | { phase: 'signed-out'; api: ApiClient; reason: string | null }
  | { phase: 'signed-in'; api: ApiClient; user: User; token: string };

/** Desktop token, owner link or stored sign-in → the signed-in user, or the login form. */
export function useSession(): { session: SessionState; signIn(result: AuthResult): void; signOut(): void } {
  const tokenRef = useRef<string | null>(null);
  const [baseUrl, setBaseUrl] = useState<string | null>(null);
  const [state, setState] = useState<{ user: User; token: string } | { reason: string | null } | null>(null);

  const api = useMemo(
    () =>
      baseUrl === null
        ? null
        : createApiClient({
            baseUrl,
            getToken: () => tokenRef.current,
            onUnauthorized: () => {
              tokenRef.current = null;
              forgetToken();
              setState({ reason: 'Your session has ended. Sign in again.' });
            },
          }),
    [baseUrl],
  );

  useEffect(() => {
    let live = true;
    void resolveSession().then((start) => {
      if (!live) return;
      tokenRef.current = start.token;
      setBaseUrl(start.baseUrl);
    });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (!api) return;
    const token = tokenRef.current;
    if (!token) {
      setState({ reason: null });
      return;
    }
    api.get<User>('/auth/me').then(
      (user) => setState({ user, token }),
      () => setState({ reason: null }),
    );
  }, [api]);

  // A new owner link pasted into this tab (the server restarted and printed a new one) signs in at once.
  useEffect(() => {
    if (!api) return;
    const onHashChange = () => {
      const token = takeOwnerLinkToken();
      if (!token) return;
      // Checked with a client of its own: a stale link must not end the session this tab may have.
      createApiClient({ baseUrl: api.baseUrl, getToken: () => token })
        .get<User>('/auth/me')
        .then(
          (user) => {
            tokenRef.current = token;
            rememberToken(token);
            setState({ user, token });
          },
          () => setState((current) => (current && 'user' in current ? current : { reason: 'That sign-in link is no longer valid: open the newest one the server printed.' })),
        );
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [api]);

  const signIn = useCallback((result: AuthResult) => {
    tokenRef.current = result.token;
    rememberToken(result.token);
    setState({ user: result.user, token: result.token });
  }, []);

  const signOut = useCallback(() => {
    tokenRef.current = null;
    forgetToken();
    setState({ reason: null });
  }, []);

  let session: SessionState = { phase: 'starting' };
  if (api && state && 'user' in state) session = { phase: 'signed-in', api, user: state.user, token: state.token };
  else if (api && state && 'reason' in state) session = { phase: 'signed-out', api, reason: state.reason };
  return { session, signIn, signOut };
}
