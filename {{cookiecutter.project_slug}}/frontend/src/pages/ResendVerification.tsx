// "Send the link again": asks for a new verification link. The answer is the same whatever the
// address, so the confirmation is too. Without a known address it asks for one.

import { useState } from 'react';
import { useAuth } from '../auth/auth-react';
import { FormError, useSubmit } from './use-submit';

export const LINK_RESENT =
  'If that address has an account waiting for verification, a new link is on its way. Check your inbox.';

export function ResendVerification({ email }: { email?: string }) {
  const { client } = useAuth();
  const [typed, setTyped] = useState('');
  const [sent, setSent] = useState(false);
  const address = (email ?? typed).trim();
  const submission = useSubmit(async () => {
    await client.resendVerification(address);
    setSent(true);
  });

  if (sent) {
    return (
      <p className="notice" role="status" data-testid="resend-done">
        {LINK_RESENT}
      </p>
    );
  }
  return (
    <form className="form resend" onSubmit={submission.onSubmit} data-testid="resend-form" noValidate>
      {email === undefined && (
        <>
          <label htmlFor="resend-email">Email</label>
          <input
            id="resend-email"
            name="email"
            type="email"
            autoComplete="username"
            required
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            data-testid="resend-email"
          />
        </>
      )}
      <button type="submit" className="secondary" disabled={submission.pending} data-testid="resend-verification">
        {submission.pending ? 'Sending…' : 'Send the link again'}
      </button>
      <FormError refusal={submission.refusal} testId="resend-error" />
    </form>
  );
}
