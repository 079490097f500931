// A live strength meter under a new-password field. The estimator (zxcvbn and its dictionaries)
// is fetched the first time a password is typed, as a chunk of its own; the meter only advises,
// the server's check decides.

import { useEffect, useState } from 'react';
import type { Strength } from './strength';

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;
/** The score the server asks for (zxcvbn 3 and up). */
export const ACCEPTED_SCORE = 3;

let estimator: Promise<typeof import('./strength')> | null = null;

function loadEstimator(): Promise<typeof import('./strength')> {
  estimator ??= import('./strength').catch((error: unknown) => {
    estimator = null; // a later keystroke may try again (the network may be back)
    throw error;
  });
  return estimator;
}

interface Estimate {
  password: string;
  strength: Strength | null;
}

export function PasswordStrength({ password, userInputs }: { password: string; userInputs: readonly string[] }) {
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  // A string, so the effect reruns when the words change rather than on every new array.
  const inputs = userInputs.filter((word) => word !== '').join('\n');

  useEffect(() => {
    if (password === '') return;
    let live = true;
    loadEstimator().then(
      (module) => {
        const words = inputs === '' ? [] : inputs.split('\n');
        if (live) setEstimate({ password, strength: module.estimate(password, words) });
      },
      () => {
        if (live) setEstimate({ password, strength: null });
      },
    );
    return () => {
      live = false;
    };
  }, [password, inputs]);

  if (password === '') return null;
  const current = estimate?.password === password ? estimate : null;
  return (
    <div className="strength" aria-live="polite" data-testid="password-strength">
      {current === null && <p className="aside">Checking the password’s strength…</p>}
      {current?.strength === null && (
        <p className="aside">The strength meter could not load; the server still checks the password.</p>
      )}
      {current?.strength != null && <StrengthReport strength={current.strength} />}
    </div>
  );
}

function StrengthReport({ strength }: { strength: Strength }) {
  const advice = [strength.warning, ...strength.suggestions].filter((line) => line !== null);
  return (
    <>
      <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label="Password strength" />
      <p className="aside" data-testid="strength-label" data-score={strength.score}>
        Strength: {LABELS[strength.score]}.{' '}
        {strength.score >= ACCEPTED_SCORE
          ? 'The server makes the final check.'
          : 'The server is likely to refuse it; a longer, less common phrase would pass.'}
      </p>
      {advice.length > 0 && (
        <ul className="aside" data-testid="strength-advice">
          {advice.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </>
  );
}
