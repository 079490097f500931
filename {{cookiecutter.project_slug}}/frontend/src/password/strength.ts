// zxcvbn's estimate of how guessable a password is, for the strength meter. Loaded on demand by
// PasswordStrength (the dictionaries are most of its weight), so the main bundle stays small.
// It only advises: the server runs its own zxcvbn check and decides.

import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

export interface Strength {
  /** 0 (guessed at once) to 4 (very unlikely to be guessed); the server asks for at least 3. */
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

/** `userInputs` (the email, the project's name) count as guessable words. */
export function estimate(password: string, userInputs: readonly string[]): Strength {
  const result = zxcvbn.check(password, [...userInputs]);
  return {
    score: result.score,
    warning: result.feedback.warning === '' ? null : result.feedback.warning,
    suggestions: result.feedback.suggestions,
  };
}
