// The protected page: who the server says you are (GET /users/me), where to manage the account,
// and the way out.

import { useEffect, useState } from 'react';
import { ApiError } from '../auth/api-errors';
import type { AuthClient } from '../auth/auth-client';
import { useAuth } from '../auth/auth-react';
import { Link } from '../router';

/**
 * Asks the server again rather than trusting the state alone; a 401 here goes through the
 * client's refresh-and-retry path, which is what keeps a long-open page working. Resolves to
 * the error to show, or null.
 */
async function fetchProfile(client: AuthClient): Promise<string | null> {
  try {
    await client.loadCurrentUser();
    return null;
  } catch (caught) {
    return caught instanceof ApiError ? caught.message : 'Could not load your profile.';
  }
}

export function MePage() {
  const { client, state } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [signingOut, setSigningOut] = useState(false);

  const showProfile = (problem: string | null): void => {
    setError(problem);
    setLoading(false);
  };

  useEffect(() => {
    let live = true;
    void fetchProfile(client).then((problem) => {
      if (live) showProfile(problem);
    });
    return () => {
      live = false;
    };
  }, [client]);

  if (state.status !== 'signed-in') return null;
  const { user } = state;

  return (
    <section className="me" data-testid="me-page">
      <h1>Your account</h1>
      <dl>
        <dt>Email</dt>
        <dd data-testid="me-email">{user.email}</dd>
        {user.emailVerified !== null && (
          <>
            <dt>Verified</dt>
            <dd data-testid="me-email-verified">{user.emailVerified ? 'Yes' : 'Not yet'}</dd>
          </>
        )}
        <dt>User id</dt>
        <dd data-testid="me-id">{user.id}</dd>
      </dl>
      <ul className="links">
        <li>
          <Link to="/change-password" testId="change-password-link">
            Change password
          </Link>
        </li>
        <li>
          <Link to="/sessions" testId="sessions-link">
            Your sessions
          </Link>
        </li>
      </ul>
      <div className="error" role="alert" aria-live="assertive" data-testid="me-error">
        {error}
      </div>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setLoading(true);
            void fetchProfile(client).then(showProfile);
          }}
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
