// Sign-in form. Shows why the user is here (account created, address verified, password reset,
// session ended, signed out elsewhere) and the backend's refusal in words; an address that is
// not verified yet gets the way to a new link.

import { useAuth } from '../auth/auth-react';
import { config } from '../config';
import { Link } from '../router';
import { CredentialFields, useCredentialForm } from './credential-form';
import { ResendVerification } from './ResendVerification';

/** Why the user was sent here, by the query flag the sending page set. */
const ARRIVAL_NOTICES: Record<string, string> = {
  registered: 'Your account is ready. Sign in to continue.',
  verified: 'Your email address is verified. Sign in to continue.',
  reset: 'Your password is changed, and every session of your account was signed out. Sign in with the new password.',
};

function arrivalNotice(search: string): string | null {
  const params = new URLSearchParams(search);
  const flag = Object.keys(ARRIVAL_NOTICES).find((name) => params.has(name));
  return flag === undefined ? null : (ARRIVAL_NOTICES[flag] ?? null);
}

export function LoginPage() {
  const { client, state } = useAuth();
  // App redirects to the protected page once the state says signed-in.
  const form = useCredentialForm((email, password) => client.login(email, password), true);
  const notice = (state.status === 'signed-out' ? state.notice : null) ?? arrivalNotice(window.location.search);
  // 403 at sign-in: the right password, but the address is not verified yet.
  const unverified = form.refusal?.status === 403;

  return (
    <>
      <form className="form" onSubmit={form.onSubmit} data-testid="login-form" noValidate>
      <h1>Sign in</h1>
      {notice !== null && (
        <p className="notice" role="status" data-testid="login-notice">
          {notice}
        </p>
      )}
      <CredentialFields form={form} idPrefix="login" passwordAutoComplete="current-password" />
      <button type="submit" disabled={form.pending} data-testid="submit">
        {form.pending ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="aside">
        <Link to="/forgot-password" testId="forgot-link">
          Forgot your password?
        </Link>
      </p>
      {config.allowRegistration && (
        <p className="aside">
          No account yet? <Link to="/register" testId="register-link">Create one</Link>
        </p>
      )}
      </form>
      {unverified && <ResendVerification email={form.email} />}
    </>
  );
}
