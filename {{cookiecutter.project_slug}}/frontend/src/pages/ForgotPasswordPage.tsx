// "Forgot your password?": asks for a reset link. The server answers the same whether or not the
// address has an account, and so does this page, so it tells a stranger nothing.

import { useState } from 'react';
import { useAuth } from '../auth/auth-react';
import { Link } from '../router';
import { FormError, useSubmit } from './use-submit';

export const RESET_LINK_SENT =
  'If an account uses that address, we sent it a link to choose a new password. The link works once, for a short time.';

export function ForgotPasswordPage() {
  const { client } = useAuth();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const submission = useSubmit(async () => {
    await client.forgotPassword(email.trim());
    setSent(true);
  });

  if (sent) {
    return (
      <section data-testid="forgot-done">
        <h1>Check your email</h1>
        <p role="status" data-testid="forgot-message">
          {RESET_LINK_SENT}
        </p>
        <p className="aside">
          <Link to="/login" testId="login-link">
            Back to sign in
          </Link>
        </p>
      </section>
    );
  }
  return (
    <form className="form" onSubmit={submission.onSubmit} data-testid="forgot-form" noValidate>
      <h1>Forgot your password?</h1>
      <p className="aside">Type the address of your account; we will mail it a link to choose a new password.</p>
      <label htmlFor="forgot-email">Email</label>
      <input
        id="forgot-email"
        name="email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        data-testid="email"
      />
      <FormError refusal={submission.refusal} testId="forgot-error" />
      <button type="submit" disabled={submission.pending} data-testid="submit">
        {submission.pending ? 'Sending…' : 'Send the link'}
      </button>
      <p className="aside">
        <Link to="/login" testId="login-link">
          Back to sign in
        </Link>
      </p>
    </form>
  );
}
