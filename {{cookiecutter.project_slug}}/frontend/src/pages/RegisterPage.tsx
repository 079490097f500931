// Account creation, shown only when the bake allowed registration (VITE_ALLOW_REGISTRATION).
// On success it sends the user to sign in, so the password is typed, and sent, once per purpose.

import { useState, type FormEvent } from 'react';
import { ApiError } from '../auth/api-errors';
import { useAuth } from '../auth/auth-react';
import { Link, navigate } from '../router';

export function RegisterPage() {
  const { client } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setError(null);
    setPending(true);
    try {
      await client.register(email.trim(), password);
      navigate('/login?registered=1');
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong. Try again.');
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="register-form" noValidate>
      <h1>Create an account</h1>
      <label htmlFor="register-email">Email</label>
      <input
        id="register-email"
        name="email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        data-testid="email"
      />
      <label htmlFor="register-password">Password</label>
      <input
        id="register-password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        data-testid="password"
      />
      <div className="error" role="alert" aria-live="assertive" data-testid="register-error">
        {error}
      </div>
      <button type="submit" disabled={pending} data-testid="submit">
        {pending ? 'Creating…' : 'Create account'}
      </button>
      <p className="aside">
        Already registered? <Link to="/login" testId="login-link">Sign in</Link>
      </p>
    </form>
  );
}
