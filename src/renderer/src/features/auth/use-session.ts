import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AuthResult, User } from '../../../../shared/api';
import { createApiClient, type ApiClient } from '../../lib/api';
import { forgetToken, rememberToken, resolveSession } from '../../lib/session';

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
