// The protected page: who the server says you are (GET /users/me), and the way out.

import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../auth/api-errors';
import { useAuth } from '../auth/auth-react';

export function MePage() {
  const { client, state } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  // Asks the server again rather than trusting the state alone; a 401 here goes through the
  // client's refresh-and-retry path, which is what keeps a long-open page working.
  const reload = useCallback(async (): Promise<void> => {
    setLoading(true);
    setError(null);
    try {
      await client.loadCurrentUser();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not load your profile.');
    } finally {
      setLoading(false);
    }
  }, [client]);

  useEffect(() => {
    void reload();
  }, [reload]);

  if (state.status !== 'signed-in') return null;

  return (
    <section className="me" data-testid="me-page">
      <h1>Your account</h1>
      <dl>
        <dt>Email</dt>
        <dd data-testid="me-email">{state.user.email}</dd>
        <dt>User id</dt>
        <dd data-testid="me-id">{state.user.id}</dd>
      </dl>
      <div className="error" role="alert" aria-live="assertive" data-testid="me-error">
        {error}
      </div>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => void reload()}
          disabled={loading}
          data-testid="reload-me"
        >
          {loading ? 'Loading…' : 'Reload profile'}
        </button>
        <button
          type="button"
          onClick={() => {
            setSigningOut(true);
            void client.logout();
          }}
          disabled={signingOut}
          data-testid="logout"
        >
          Log out
        </button>
      </div>
    </section>
  );
}
