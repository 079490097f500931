// Account creation, shown only when the bake allowed registration (VITE_ALLOW_REGISTRATION).
// A ready account goes on to sign in, so the password is typed, and sent, once per purpose; when
// the project requires verified addresses it says to check the inbox instead.

import { useState } from 'react';
import { useAuth } from '../auth/auth-react';
import { PasswordStrength } from '../password/PasswordStrength';
import { PROJECT_NAME } from '../project';
import { Link, navigate } from '../router';
import { CredentialFields, useCredentialForm } from './credential-form';
import { ResendVerification } from './ResendVerification';

export function RegisterPage() {
  const { client } = useAuth();
  const [mailed, setMailed] = useState<{ email: string; message: string } | null>(null);
  const form = useCredentialForm(async (email, password) => {
    const result = await client.register(email, password);
    if (result.kind === 'created') navigate('/login?registered=1');
    else setMailed({ email, message: result.message });
  }, false);

  if (mailed !== null) return <CheckYourEmail email={mailed.email} message={mailed.message} />;
  return (
    <form className="form" onSubmit={form.onSubmit} data-testid="register-form" noValidate>
      <h1>Create an account</h1>
      <CredentialFields
        form={form}
        idPrefix="register"
        passwordAutoComplete="new-password"
        passwordHint={<PasswordStrength password={form.password} userInputs={[form.email, PROJECT_NAME]} />}
      />
      <button type="submit" disabled={form.pending} data-testid="submit">
        {form.pending ? 'Creating…' : 'Create account'}
      </button>
      <p className="aside">
        Already registered? <Link to="/login" testId="login-link">Sign in</Link>
      </p>
    </form>
  );
}

function CheckYourEmail({ email, message }: { email: string; message: string }) {
  return (
    <section data-testid="check-email">
      <h1>Check your email</h1>
      <p role="status" data-testid="check-email-message">
        {message}
      </p>
      <p className="aside">
        It went to <strong data-testid="check-email-address">{email}</strong>. Nothing there after a few
        minutes? Look in the spam folder, or:
      </p>
      <ResendVerification email={email} />
      <p className="aside">
        <Link to="/login" testId="login-link">
          Back to sign in
        </Link>
      </p>
    </section>
  );
}
