// What the sign-in and sign-up forms share: the email and password fields, and the submit cycle
// that shows the backend's refusal in words.

import { useState, type FormEvent } from 'react';
import { ApiError } from '../auth/api-errors';

export interface CredentialForm {
  email: string;
  setEmail: (value: string) => void;
  password: string;
  setPassword: (value: string) => void;
  error: string | null;
  pending: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
}

/**
 * Form state around `submit(email, password)`. A refusal becomes `error` (ApiError messages are
 * written for people); `clearPasswordOnError` spares the user a stale password after a refusal.
 */
export function useCredentialForm(
  submit: (email: string, password: string) => Promise<void>,
  clearPasswordOnError: boolean,
): CredentialForm {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function run(): Promise<void> {
    setError(null);
    setPending(true);
    try {
      await submit(email.trim(), password);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong. Try again.');
      if (clearPasswordOnError) setPassword('');
    } finally {
      setPending(false);
    }
  }

  return {
    email,
    setEmail,
    password,
    setPassword,
    error,
    pending,
    onSubmit: (event) => {
      event.preventDefault();
      void run();
    },
  };
}

interface CredentialFieldsProps {
  form: CredentialForm;
  idPrefix: string;
  passwordAutoComplete: 'current-password' | 'new-password';
}

/** The labelled email and password inputs, and the alert region for the error. */
export function CredentialFields({ form, idPrefix, passwordAutoComplete }: CredentialFieldsProps) {
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
      <div className="error" role="alert" aria-live="assertive" data-testid={`${idPrefix}-error`}>
        {form.error}
      </div>
    </>
  );
}
