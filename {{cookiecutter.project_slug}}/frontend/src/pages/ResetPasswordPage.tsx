// Where the reset mail's link lands (/reset-password#token=...). main.tsx has already taken the
// token out of the address bar. A refused password (422) leaves the link usable, so the form
// stays; a refused link (400) does not, so the page offers a new one.

import { useState } from 'react';
import { useAuth } from '../auth/auth-react';
import { Link, navigate } from '../router';
import { NewPasswordFields, useNewPassword } from './new-password';
import { FormError, useSubmit } from './use-submit';

export const NO_RESET_TOKEN = 'This page needs the link from your password-reset email; open that link again.';

export function ResetPasswordPage({ token }: { token: string | null }) {
  const { client } = useAuth();
  const fields = useNewPassword();
  const [localProblem, setLocalProblem] = useState<string | null>(null);
  const submission = useSubmit(async () => {
    if (token === null) return;
    await client.resetPassword(token, fields.password);
    // The server ended every session of the account, this browser's included if it had one.
    if (client.getState().status === 'signed-in') await client.logout();
    navigate('/login?reset=1');
  });

  if (token === null || submission.refusal?.status === 400) {
    return (
      <section data-testid="reset-failed">
        <h1>Choose a new password</h1>
        <p className="error" role="alert" data-testid="reset-error">
          {token === null ? NO_RESET_TOKEN : submission.refusal?.message}
        </p>
        <p>
          <Link to="/forgot-password" testId="forgot-link">
            Ask for a new link
          </Link>
        </p>
      </section>
    );
  }
  return (
    <form
      className="form"
      onSubmit={(event) => {
        const problem = fields.problem();
        setLocalProblem(problem);
        if (problem === null) submission.onSubmit(event);
        else event.preventDefault();
      }}
      data-testid="reset-form"
      noValidate
    >
      <h1>Choose a new password</h1>
      <NewPasswordFields state={fields} idPrefix="reset" userInputs={[]} />
      <FormError
        refusal={localProblem === null ? submission.refusal : { message: localProblem, status: null }}
        testId="reset-error"
      />
      <button type="submit" disabled={submission.pending} data-testid="submit">
        {submission.pending ? 'Saving…' : 'Save the new password'}
      </button>
    </form>
  );
}
