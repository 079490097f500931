// Where the verification mail's link lands (/verify-email#token=...). main.tsx has already taken
// the token out of the address bar; this page posts it once and says how it went.

import { useEffect, useRef, useState } from 'react';
import { ApiError, LINK_REFUSED } from '../auth/api-errors';
import { useAuth } from '../auth/auth-react';
import { Link } from '../router';
import { ResendVerification } from './ResendVerification';

type Outcome =
  | { status: 'verifying' }
  | { status: 'verified' }
  /** `retry`: the link may still be good (network, throttling); else it is spent or invalid. */
  | { status: 'failed'; message: string; retry: boolean };

export const NO_TOKEN = 'This page needs the link from your verification email; open that link again.';

export function VerifyEmailPage({ token }: { token: string | null }) {
  const { client, state } = useAuth();
  const [outcome, setOutcome] = useState<Outcome>(
    token === null ? { status: 'failed', message: NO_TOKEN, retry: false } : { status: 'verifying' },
  );
  // A link works once: React's development double effects must not post it twice.
  const posted = useRef(false);

  const verify = (linkToken: string): void => {
    client.verifyEmail(linkToken).then(
      () => {
        setOutcome({ status: 'verified' });
        // A signed-in account page should show the new state without a reload.
        if (client.getState().status === 'signed-in') void client.loadCurrentUser().catch(() => undefined);
      },
      (error: unknown) => {
        const refused = error instanceof ApiError && error.status === 400;
        const message = error instanceof ApiError ? error.message : LINK_REFUSED;
        setOutcome({ status: 'failed', message, retry: !refused });
      },
    );
  };

  useEffect(() => {
    if (token === null || posted.current) return;
    posted.current = true;
    verify(token);
  });

  if (outcome.status === 'verifying') {
    return (
      <p className="status" role="status" data-testid="verify-pending">
        Verifying your email address…
      </p>
    );
  }
  if (outcome.status === 'verified') {
    const signedIn = state.status === 'signed-in';
    return (
      <section data-testid="verify-done">
        <h1>Address verified</h1>
        <p role="status">Thank you: your email address is verified.</p>
        <p>
          {signedIn ? (
            <Link to="/" testId="continue-link">
              Go to your account
            </Link>
          ) : (
            <Link to="/login?verified=1" testId="login-link">
              Sign in
            </Link>
          )}
        </p>
      </section>
    );
  }
  return (
    <section data-testid="verify-failed">
      <h1>Verification failed</h1>
      <p className="error" role="alert" data-testid="verify-error">
        {outcome.message}
      </p>
      {outcome.retry && token !== null ? (
        <button
          type="button"
          onClick={() => {
            setOutcome({ status: 'verifying' });
            verify(token);
          }}
          data-testid="verify-retry"
        >
          Try again
        </button>
      ) : (
        <>
          <p className="aside">Ask for a new link: it goes to the address you registered with.</p>
          <ResendVerification />
        </>
      )}
    </section>
  );
}
