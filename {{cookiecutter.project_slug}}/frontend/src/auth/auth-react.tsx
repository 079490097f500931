// The thin React layer over AuthClient: a provider, a hook, and a route guard. All auth logic
// stays in auth-client.ts; this file only subscribes to its state.

import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { AuthClient, AuthState } from './auth-client';
import { Redirect } from '../router';

const AuthContext = createContext<AuthClient | null>(null);

export function AuthProvider({ client, children }: { client: AuthClient; children: ReactNode }) {
  return <AuthContext.Provider value={client}>{children}</AuthContext.Provider>;
}

export function useAuth(): { client: AuthClient; state: AuthState } {
  const client = useContext(AuthContext);
  if (client === null) throw new Error('useAuth must be used inside <AuthProvider>.');
  const state = useSyncExternalStore(client.subscribe, client.getState);
  return { client, state };
}

/** Shows `children` only to a signed-in user; waits while the session is being restored. */
export function ProtectedRoute({ children }: { children: ReactNode }) {
  const { state } = useAuth();
  if (state.status === 'restoring') {
    return (
      <p className="status" role="status" data-testid="restoring">
        Restoring your session…
      </p>
    );
  }
  if (state.status === 'signed-out') return <Redirect to="/login" />;
  return <>{children}</>;
}
