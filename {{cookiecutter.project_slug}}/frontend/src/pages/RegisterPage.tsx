// Account creation, shown only when the bake allowed registration (VITE_ALLOW_REGISTRATION).
// On success it sends the user to sign in, so the password is typed, and sent, once per purpose.

import { useAuth } from '../auth/auth-react';
import { Link, navigate } from '../router';
import { CredentialFields, useCredentialForm } from './credential-form';

export function RegisterPage() {
  const { client } = useAuth();
  const form = useCredentialForm(async (email, password) => {
    await client.register(email, password);
    navigate('/login?registered=1');
  }, false);

  return (
    <form className="form" onSubmit={form.onSubmit} data-testid="register-form" noValidate>
      <h1>Create an account</h1>
      <CredentialFields form={form} idPrefix="register" passwordAutoComplete="new-password" />
      <button type="submit" disabled={form.pending} data-testid="submit">
        {form.pending ? 'Creating…' : 'Create account'}
      </button>
      <p className="aside">
        Already registered? <Link to="/login" testId="login-link">Sign in</Link>
      </p>
    </form>
  );
}
