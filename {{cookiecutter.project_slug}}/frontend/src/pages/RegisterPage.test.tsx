// @vitest-environment happy-dom
// Registering: a ready account goes on to sign in; with verification required, "check your email".

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ACCEPTED_REGISTRATION, FakeBackend } from '../auth/test-support/fake-backend';
import { RegisterPage } from './RegisterPage';
import { STRONG_PASSWORD, currentAddress, renderPage } from './test-support/render-page';

describe('RegisterPage', () => {
  it('201: on to the sign-in page, which says the account is ready', async () => {
    const { user } = await renderPage(<RegisterPage />, { path: '/register' });

    await user.type(screen.getByLabelText('Email'), 'grace@example.com');
    await user.type(screen.getByLabelText('Password'), STRONG_PASSWORD);
    await user.click(screen.getByTestId('submit'));

    await expect.poll(currentAddress).toBe('/login?registered=1');
  });

  it("202: 'check your email' with the server's sentence, the address, and a resend button", async () => {
    const backend = new FakeBackend();
    backend.verificationRequired = true;
    const { user } = await renderPage(<RegisterPage />, { backend, path: '/register' });

    await user.type(screen.getByLabelText('Email'), 'grace@example.com');
    await user.type(screen.getByLabelText('Password'), STRONG_PASSWORD);
    await user.click(screen.getByTestId('submit'));

    expect((await screen.findByTestId('check-email-message')).textContent).toBe(ACCEPTED_REGISTRATION);
    expect(screen.getByTestId('check-email-address').textContent).toBe('grace@example.com');
    expect(currentAddress()).toBe('/register');
    await user.click(screen.getByRole('button', { name: 'Send the link again' }));
    await screen.findByTestId('resend-done');
    expect(backend.mailbox.filter((mail) => mail.to === 'grace@example.com')).toHaveLength(2);
  });

  it('a refusal stays on the form, in words', async () => {
    const { user } = await renderPage(<RegisterPage />, { path: '/register' });

    await user.type(screen.getByLabelText('Email'), 'grace@example.com');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByTestId('submit'));

    expect((await screen.findByTestId('register-error')).textContent).toBe('password: must be at least 12 characters');
  });
});
