// The browsers and devices signed in to this account, from the server's list: when each session
// began, when it was last used, what browser it is. Any but this one can be ended here; the
// browser holding it is signed out at its next refresh.

import { useEffect, useState } from 'react';
import { ApiError } from '../auth/api-errors';
import type { AuthClient, SessionInfo } from '../auth/auth-client';
import { useAuth } from '../auth/auth-react';
import { Link } from '../router';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Try again.';
}

/** The list from the server, the only source of truth about sessions, or the error to show. */
async function fetchSessions(client: AuthClient): Promise<{ sessions: SessionInfo[] } | { error: string }> {
  try {
    return { sessions: await client.listSessions() };
  } catch (caught) {
    return { error: describe(caught) };
  }
}

export function SessionsPage() {
  const { client } = useAuth();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (answer: { sessions: SessionInfo[] } | { error: string }): void => {
    if ('sessions' in answer) setSessions(answer.sessions);
    else setError(answer.error);
  };

  useEffect(() => {
    let live = true;
    void fetchSessions(client).then((answer) => {
      if (live) show(answer);
    });
    return () => {
      live = false;
    };
  }, [client]);

  async function act(action: () => Promise<void>, done: string): Promise<void> {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
      setNotice(done);
    } catch (caught) {
      setError(describe(caught));
    }
    show(await fetchSessions(client));
    setBusy(false);
  }

  const others = sessions?.filter((session) => !session.current) ?? [];
  return (
    <section className="sessions" data-testid="sessions-page">
      <h1>Your sessions</h1>
      <p className="aside">Every browser or device signed in to your account. End any you do not recognise.</p>
      <p className="notice" role="status" data-testid="sessions-notice" hidden={notice === null}>
        {notice}
      </p>
      <div className="error" role="alert" aria-live="assertive" data-testid="sessions-error">
        {error}
      </div>
      {sessions === null && error === null && (
        <p className="status" role="status">
          Loading your sessions…
        </p>
      )}
      {sessions !== null && (
        <ul className="session-list" data-testid="session-list">
          {sessions.map((session) => (
            <li key={session.id} data-testid="session" data-current={session.current}>
              <p className="session-agent">
                {session.userAgent ?? 'Unknown browser'}
                {session.current && (
                  <strong className="badge" data-testid="this-browser">
                    {' '}
                    This browser
                  </strong>
                )}
              </p>
              <dl>
                <dt>Signed in</dt>
                <dd>{dateTime.format(session.createdAt)}</dd>
                <dt>Last used</dt>
                <dd>{session.lastUsedAt === null ? 'Not since signing in' : dateTime.format(session.lastUsedAt)}</dd>
              </dl>
              {!session.current && (
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => void act(() => client.endSession(session.id), 'That session is ended.')}
                  data-testid="end-session"
                >
                  End this session
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <Link to="/" testId="account-link">
          Back to your account
        </Link>
        <button
          type="button"
          disabled={busy || others.length === 0}
          onClick={() => void act(() => client.endOtherSessions(), 'Every other session is ended.')}
          data-testid="end-other-sessions"
        >
          End all other sessions
        </button>
      </div>
    </section>
  );
}
