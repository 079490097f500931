// Sign-in form. Shows why the user is here (session ended, signed out elsewhere) and the
// backend's refusal in words.

import { useState, type FormEvent } from 'react';
import { ApiError } from '../auth/api-errors';
import { useAuth } from '../auth/auth-react';
import { config } from '../config';
import { Link } from '../router';

export function LoginPage() {
  const { client, state } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const justRegistered = new URLSearchParams(window.location.search).has('registered');
  const notice = state.status === 'signed-out' ? state.notice : null;

  async function onSubmit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setError(null);
    setPending(true);
    try {
      await client.login(email.trim(), password);
      // App redirects to the protected page once the state says signed-in.
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong. Try again.');
      setPassword('');
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="login-form" noValidate>
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
      <label htmlFor="login-email">Email</label>
      <input
        id="login-email"
        name="email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        data-testid="email"
      />
      <label htmlFor="login-password">Password</label>
      <input
        id="login-password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        data-testid="password"
      />
      <div className="error" role="alert" aria-live="assertive" data-testid="login-error">
        {error}
      </div>
      <button type="submit" disabled={pending} data-testid="submit">
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      {config.allowRegistration && (
        <p className="aside">
          No account yet? <Link to="/register" testId="register-link">Create one</Link>
        </p>
      )}
    </form>
  );
}
