// What the sign-in and sign-up forms share: the email and password fields, and the submit cycle
// that shows the backend's refusal in words.

import { useState, type ReactNode } from 'react';
import { FormError, useSubmit, type Submission } from './use-submit';

export interface CredentialForm extends Submission {
  email: string;
  setEmail: (value: string) => void;
  password: string;
  setPassword: (value: string) => void;
}

/**
 * Form state around `submit(email, password)`. `clearPasswordOnError` spares the user a stale
 * password after a refusal.
 */
export function useCredentialForm(
  submit: (email: string, password: string) => Promise<void>,
  clearPasswordOnError: boolean,
): CredentialForm {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submission = useSubmit(
    () => submit(email.trim(), password),
    () => {
      if (clearPasswordOnError) setPassword('');
    },
  );
  return { ...submission, email, setEmail, password, setPassword };
}

interface CredentialFieldsProps {
  form: CredentialForm;
  idPrefix: string;
  passwordAutoComplete: 'current-password' | 'new-password';
  /** Shown under the password field (the strength meter on sign-up). */
  passwordHint?: ReactNode;
}

/** The labelled email and password inputs, and the alert region for the error. */
export function CredentialFields({ form, idPrefix, passwordAutoComplete, passwordHint }: CredentialFieldsProps) {
  return (
    <>
      <label htmlFor={`${idPrefix}-email`}>Email</label>
      <input
        id={`${idPrefix}-email`}
        name="email"
        type="email"
        autoComplete="username"
        required
        value={form.email}
        onChange={(e) => form.setEmail(e.target.value)}
        data-testid="email"
      />
      <label htmlFor={`${idPrefix}-password`}>Password</label>
      <input
        id={`${idPrefix}-password`}
        name="password"
        type="password"
        autoComplete={passwordAutoComplete}
        required
        value={form.password}
        onChange={(e) => form.setPassword(e.target.value)}
        data-testid="password"
      />
      {passwordHint}
      <FormError refusal={form.refusal} testId={`${idPrefix}-error`} />
    </>
  );
}
