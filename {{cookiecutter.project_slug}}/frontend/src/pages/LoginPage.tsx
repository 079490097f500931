// Sign-in form. Shows why the user is here (session ended, signed out elsewhere) and the
// backend's refusal in words.

import { useAuth } from '../auth/auth-react';
import { config } from '../config';
import { Link } from '../router';
import { CredentialFields, useCredentialForm } from './credential-form';

export function LoginPage() {
  const { client, state } = useAuth();
  // App redirects to the protected page once the state says signed-in.
  const form = useCredentialForm((email, password) => client.login(email, password), true);
  const justRegistered = new URLSearchParams(window.location.search).has('registered');
  const notice = state.status === 'signed-out' ? state.notice : null;

  return (
    <form className="form" onSubmit={form.onSubmit} data-testid="login-form" noValidate>
      <h1>Sign in</h1>
      {justRegistered && notice === null && (
        <p className="notice" role="status" data-testid="login-notice">
          Your account is ready. Sign in to continue.
        </p>
      )}
      {notice !== null && (
        <p className="notice" role="status" data-testid="login-notice">
          {notice}
        </p>
      )}
      <CredentialFields form={form} idPrefix="login" passwordAutoComplete="current-password" />
      <button type="submit" disabled={form.pending} data-testid="submit">
        {form.pending ? 'Signing in…' : 'Sign in'}
      </button>
      {config.allowRegistration && (
        <p className="aside">
          No account yet? <Link to="/register" testId="register-link">Create one</Link>
        </p>
      )}
    </form>
  );
}
