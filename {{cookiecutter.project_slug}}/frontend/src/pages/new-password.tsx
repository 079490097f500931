// The "new password, twice" fields of the reset and change forms, with the strength meter.

import { useState } from 'react';
import { PasswordStrength } from '../password/PasswordStrength';

export const PASSWORDS_DIFFER = 'The two new passwords are not the same. Type the same password twice.';

export interface NewPassword {
  password: string;
  repeat: string;
  setPassword: (value: string) => void;
  setRepeat: (value: string) => void;
  /** Why the pair cannot be sent yet, or null. */
  problem: () => string | null;
  clear: () => void;
}

export function useNewPassword(): NewPassword {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  return {
    password,
    repeat,
    setPassword,
    setRepeat,
    problem: () => (password === repeat ? null : PASSWORDS_DIFFER),
    clear: () => {
      setPassword('');
      setRepeat('');
    },
  };
}

interface NewPasswordFieldsProps {
  state: NewPassword;
  idPrefix: string;
  /** Words the meter counts as guessable: the user's email, for one. */
  userInputs: readonly string[];
}

export function NewPasswordFields({ state, idPrefix, userInputs }: NewPasswordFieldsProps) {
  return (
    <>
      <label htmlFor={`${idPrefix}-new-password`}>New password</label>
      <input
        id={`${idPrefix}-new-password`}
        name="new-password"
        type="password"
        autoComplete="new-password"
        required
        value={state.password}
        onChange={(e) => state.setPassword(e.target.value)}
        data-testid="new-password"
      />
      <PasswordStrength password={state.password} userInputs={userInputs} />
      <label htmlFor={`${idPrefix}-repeat-password`}>New password, again</label>
      <input
        id={`${idPrefix}-repeat-password`}
        name="repeat-password"
        type="password"
        autoComplete="new-password"
        required
        value={state.repeat}
        onChange={(e) => state.setRepeat(e.target.value)}
        data-testid="repeat-password"
      />
    </>
  );
}
