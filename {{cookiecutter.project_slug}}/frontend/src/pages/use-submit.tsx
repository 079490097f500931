// The submit cycle every form here shares: pending while the call runs, its refusal in words
// (ApiError messages are written for people) with the status, for pages that react to one.

import { useState, type SubmitEvent } from 'react';
import { ApiError } from '../auth/api-errors';

export interface Refusal {
  message: string;
  /** The HTTP status, 0 when the server was not reached, null for an unexpected failure. */
  status: number | null;
}

export interface Submission {
  pending: boolean;
  refusal: Refusal | null;
  /** Runs the action now (for buttons outside a form). */
  run: () => Promise<void>;
  onSubmit: (event: SubmitEvent<HTMLFormElement>) => void;
}

export function useSubmit(action: () => Promise<void>, onRefused?: () => void): Submission {
  const [pending, setPending] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);

  async function run(): Promise<void> {
    setRefusal(null);
    setPending(true);
    try {
      await action();
    } catch (caught) {
      setRefusal(
        caught instanceof ApiError
          ? { message: caught.message, status: caught.status }
          : { message: 'Something went wrong. Try again.', status: null },
      );
      onRefused?.();
    } finally {
      setPending(false);
    }
  }

  return {
    pending,
    refusal,
    run,
    onSubmit: (event) => {
      event.preventDefault();
      void run();
    },
  };
}

/** The alert region under a form: always present, so screen readers announce what appears in it. */
export function FormError({ refusal, testId }: { refusal: Refusal | null; testId: string }) {
  return (
    <div className="error" role="alert" aria-live="assertive" data-testid={testId}>
      {refusal?.message}
    </div>
  );
}
