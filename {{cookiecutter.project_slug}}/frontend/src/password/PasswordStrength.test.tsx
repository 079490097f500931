// @vitest-environment happy-dom
// The strength meter loads zxcvbn on demand and tells a guessable password from a strong one.

import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PasswordStrength } from './PasswordStrength';
import { estimate } from './strength';

async function shownScore(password: string, userInputs: string[] = []): Promise<number> {
  const { unmount } = render(<PasswordStrength password={password} userInputs={userInputs} />);
  const label = await screen.findByTestId('strength-label', {}, { timeout: 10_000 });
  const score = Number(label.dataset.score);
  unmount();
  return score;
}

describe('PasswordStrength', () => {
  it('shows nothing, and loads nothing, for an empty password', () => {
    const { container } = render(<PasswordStrength password="" userInputs={[]} />);
    expect(container.innerHTML).toBe('');
  });

  it('rates what an attacker guesses first low, and a long unusual phrase high', async () => {
    expect(await shownScore('password1234')).toBeLessThan(3);
    expect(await shownScore('aaaaaaaaaaaa')).toBeLessThan(3);
    expect(await shownScore('violet tractor mumbles over 7 lagoons')).toBeGreaterThanOrEqual(3);
  });

  it("counts the user's own email as guessable", () => {
    const email = 'margaret.hamilton1936@example.com';
    expect(estimate(email, [email]).score).toBeLessThan(estimate(email, []).score);
  });

  it('explains a weak password in words', async () => {
    render(<PasswordStrength password="qwertyuiop12" userInputs={[]} />);
    const advice = await screen.findByTestId('strength-advice', {}, { timeout: 10_000 });
    expect(advice.textContent).not.toBe('');
  });
});
