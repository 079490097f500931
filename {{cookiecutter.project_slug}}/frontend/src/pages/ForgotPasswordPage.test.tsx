// @vitest-environment happy-dom
// "Forgot your password?": the same neutral confirmation whether or not the address has an account.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ForgotPasswordPage, RESET_LINK_SENT } from './ForgotPasswordPage';
import { EMAIL, renderPage } from './test-support/render-page';

async function askFor(email: string) {
  const page = await renderPage(<ForgotPasswordPage />, { path: '/forgot-password' });
  await page.user.type(screen.getByLabelText('Email'), email);
  await page.user.click(screen.getByTestId('submit'));
  const shown = (await screen.findByTestId('forgot-done')).innerHTML;
  page.unmount();
  return { shown, backend: page.backend };
}

describe('ForgotPasswordPage', () => {
  it('shows exactly the same page for a known and an unknown address', async () => {
    const known = await askFor(EMAIL);
    const unknown = await askFor('nobody@example.com');

    expect(known.shown).toBe(unknown.shown);
    expect(known.shown).toContain(RESET_LINK_SENT);
    expect(known.backend.mailbox.map((mail) => mail.kind)).toEqual(['reset']);
    expect(unknown.backend.mailbox).toEqual([]);
  });

  it('says so when the server cannot be reached, and keeps the form', async () => {
    const { backend, user } = await renderPage(<ForgotPasswordPage />);
    backend.fetch = () => Promise.reject(new TypeError('Failed to fetch'));

    await user.type(screen.getByLabelText('Email'), EMAIL);
    await user.click(screen.getByTestId('submit'));

    expect((await screen.findByTestId('forgot-error')).textContent).toMatch(/Cannot reach the server/);
    expect(screen.getByTestId('forgot-form')).toBeTruthy();
  });
});
