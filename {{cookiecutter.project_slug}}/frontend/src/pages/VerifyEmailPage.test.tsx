// @vitest-environment happy-dom
// The verification link's landing page: posts the token exactly once (StrictMode runs effects
// twice), then success → sign in, or the one generic failure → a new link.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LINK_REFUSED } from '../auth/api-errors';
import { FakeBackend } from '../auth/test-support/fake-backend';
import { LINK_RESENT } from './ResendVerification';
import { NO_TOKEN, VerifyEmailPage } from './VerifyEmailPage';
import { PASSWORD, renderPage } from './test-support/render-page';

async function backendWithLink(): Promise<{ backend: FakeBackend; token: string }> {
  const backend = new FakeBackend();
  backend.verificationRequired = true;
  await backend.fetch(new Request('http://api.test/auth/register', {
    method: 'POST',
    body: JSON.stringify({ email: 'grace@example.com', password: PASSWORD }),
  }));
  return { backend, token: backend.lastLinkTo('grace@example.com', 'verify') };
}

describe('VerifyEmailPage', () => {
  it('posts the token once and offers to sign in', async () => {
    const { backend, token } = await backendWithLink();
    await renderPage(<VerifyEmailPage token={token} />, { backend, path: '/verify-email' });

    await screen.findByTestId('verify-done');

    expect(backend.count('/auth/verify-email')).toBe(1);
    expect(backend.lastJsonBody('/auth/verify-email')).toEqual({ token });
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/login?verified=1');
    expect(backend.users.find((u) => u.email === 'grace@example.com')?.verified).toBe(true);
  });

  it('a signed-in visitor is sent back to the account, whose profile is fetched afresh', async () => {
    const { backend, token } = await backendWithLink();
    await renderPage(<VerifyEmailPage token={token} />, { backend, signedIn: true });
    const profileFetches = backend.count('/users/me');

    await screen.findByTestId('verify-done');

    expect(screen.getByRole('link', { name: 'Go to your account' }).getAttribute('href')).toBe('/');
    await expect.poll(() => backend.count('/users/me')).toBe(profileFetches + 1);
  });

  it('a spent link gets the generic sentence and a form for a new one', async () => {
    const { backend, token } = await backendWithLink();
    await backend.fetch(new Request('http://api.test/auth/verify-email', { method: 'POST', body: JSON.stringify({ token }) }));
    const { user } = await renderPage(<VerifyEmailPage token={token} />, { backend });

    expect((await screen.findByTestId('verify-error')).textContent).toBe(LINK_REFUSED);
    await user.type(screen.getByLabelText('Email'), 'someone@example.com');
    await user.click(screen.getByRole('button', { name: 'Send the link again' }));
    expect((await screen.findByTestId('resend-done')).textContent).toBe(LINK_RESENT);
    expect(backend.lastJsonBody('/auth/verify-email/resend')).toEqual({ email: 'someone@example.com' });
  });

  it('a failure that is not about the link (server down) offers to try the same link again', async () => {
    const { backend, token } = await backendWithLink();
    const real = backend.fetch;
    backend.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const { user } = await renderPage(<VerifyEmailPage token={token} />, { backend });

    expect((await screen.findByTestId('verify-error')).textContent).toMatch(/Cannot reach the server/);
    backend.fetch = real;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByTestId('verify-done');
  });

  it('without a token it posts nothing and says which link to open', async () => {
    const { backend } = await renderPage(<VerifyEmailPage token={null} />);

    expect(screen.getByTestId('verify-error').textContent).toBe(NO_TOKEN);
    expect(backend.count('/auth/verify-email')).toBe(0);
  });
});
