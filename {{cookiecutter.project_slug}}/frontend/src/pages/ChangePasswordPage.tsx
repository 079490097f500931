// Change the password of the signed-in account: the current one proves it is the owner at the
// keyboard. The server then ends every other session of the account and keeps this one.

import { useState } from 'react';
import { useAuth } from '../auth/auth-react';
import { PROJECT_NAME } from '../project';
import { Link } from '../router';
import { NewPasswordFields, useNewPassword } from './new-password';
import { FormError, useSubmit } from './use-submit';

export const PASSWORD_CHANGED =
  'Your password is changed. Every other session of your account was signed out; this browser stays signed in.';

export function ChangePasswordPage() {
  const { client, state } = useAuth();
  const [current, setCurrent] = useState('');
  const fields = useNewPassword();
  const [localProblem, setLocalProblem] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submission = useSubmit(
    async () => {
      await client.changePassword(current, fields.password);
      setCurrent('');
      fields.clear();
      setDone(true);
    },
    () => setCurrent(''),
  );
  const email = state.status === 'signed-in' ? state.user.email : '';

  return (
    <form
      className="form"
      onSubmit={(event) => {
        const problem = fields.problem();
        setLocalProblem(problem);
        setDone(false);
        if (problem === null) submission.onSubmit(event);
        else event.preventDefault();
      }}
      data-testid="change-password-form"
      noValidate
    >
      <h1>Change your password</h1>
      {done && (
        <p className="notice" role="status" data-testid="change-password-done">
          {PASSWORD_CHANGED}
        </p>
      )}
      <input type="email" name="email" autoComplete="username" value={email} readOnly hidden />
      <label htmlFor="change-current-password">Current password</label>
      <input
        id="change-current-password"
        name="current-password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        data-testid="current-password"
      />
      <NewPasswordFields state={fields} idPrefix="change" userInputs={[email, PROJECT_NAME]} />
      <FormError
        refusal={localProblem === null ? submission.refusal : { message: localProblem, status: null }}
        testId="change-password-error"
      />
      <button type="submit" disabled={submission.pending} data-testid="submit">
        {submission.pending ? 'Saving…' : 'Change password'}
      </button>
      <p className="aside">
        <Link to="/" testId="account-link">
          Back to your account
        </Link>
      </p>
    </form>
  );
}
