// @vitest-environment happy-dom
// The sign-in page: why you are here, the refusal in words, and for an address not verified yet,
// the way to a new link.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { NOT_VERIFIED } from '../auth/test-support/fake-backend';
import { FakeBackend } from '../auth/test-support/fake-backend';
import { LoginPage } from './LoginPage';
import { LINK_RESENT } from './ResendVerification';
import { EMAIL, PASSWORD, renderPage } from './test-support/render-page';

describe('LoginPage', () => {
  it("an unverified address gets the server's sentence and a button that sends the link again", async () => {
    const backend = new FakeBackend();
    backend.verificationRequired = true;
    await backend.fetch(new Request('http://api.test/auth/register', {
      method: 'POST',
      body: JSON.stringify({ email: 'grace@example.com', password: PASSWORD }),
    }));
    const { user } = await renderPage(<LoginPage />, { backend, path: '/login' });

    await user.type(screen.getByLabelText('Email'), 'grace@example.com');
    await user.type(screen.getByLabelText('Password'), PASSWORD);
    await user.click(screen.getByTestId('submit'));

    expect(await screen.findByText(NOT_VERIFIED)).toHaveProperty('role', 'alert');
    await user.click(screen.getByRole('button', { name: 'Send the link again' }));
    expect(await screen.findByTestId('resend-done')).toHaveProperty('textContent', LINK_RESENT);
    expect(backend.lastJsonBody('/auth/verify-email/resend')).toEqual({ email: 'grace@example.com' });
    expect(backend.mailbox.filter((mail) => mail.kind === 'verify')).toHaveLength(2);
  });

  it('a wrong password is said in words, with no offer to resend anything', async () => {
    const { user } = await renderPage(<LoginPage />, { path: '/login' });

    await user.type(screen.getByLabelText('Email'), EMAIL);
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByTestId('submit'));

    expect(await screen.findByText('The email or password is incorrect.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Send the link again' })).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>('Password').value).toBe('');
  });

  it('offers "Forgot your password?" and says why you arrived', async () => {
    await renderPage(<LoginPage />, { path: '/login?reset=1' });

    expect(screen.getByRole('link', { name: 'Forgot your password?' }).getAttribute('href')).toBe('/forgot-password');
    expect(screen.getByTestId('login-notice').textContent).toMatch(/password is changed/);
  });
});
