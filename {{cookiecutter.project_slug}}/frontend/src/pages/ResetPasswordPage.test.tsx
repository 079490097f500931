// @vitest-environment happy-dom
// The reset link's landing page: new password twice; a refused password keeps the form (the link
// still works), a refused link offers a new one, success signs everything out and goes to sign in.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LINK_REFUSED } from '../auth/api-errors';
import { FakeBackend } from '../auth/test-support/fake-backend';
import { PASSWORDS_DIFFER } from './new-password';
import { NO_RESET_TOKEN, ResetPasswordPage } from './ResetPasswordPage';
import { EMAIL, STRONG_PASSWORD, currentAddress, renderPage, type RenderedPage } from './test-support/render-page';

async function backendWithLink(): Promise<{ backend: FakeBackend; token: string }> {
  const backend = new FakeBackend();
  await backend.fetch(new Request('http://api.test/auth/password/forgot', { method: 'POST', body: JSON.stringify({ email: EMAIL }) }));
  return { backend, token: backend.lastLinkTo(EMAIL, 'reset') };
}

async function choose(page: RenderedPage, password: string, repeat = password): Promise<void> {
  await page.user.type(screen.getByLabelText('New password'), password);
  await page.user.type(screen.getByLabelText('New password, again'), repeat);
  await page.user.click(screen.getByTestId('submit'));
}

describe('ResetPasswordPage', () => {
  it('sets the new password, ends every session, and sends the user to sign in', async () => {
    const { backend, token } = await backendWithLink();
    const page = await renderPage(<ResetPasswordPage token={token} />, { backend, signedIn: true });

    await choose(page, STRONG_PASSWORD);

    await expect.poll(currentAddress).toBe('/login?reset=1');
    expect(backend.lastJsonBody('/auth/password/reset')).toEqual({ token, new_password: STRONG_PASSWORD });
    expect(backend.users[0]?.password).toBe(STRONG_PASSWORD);
    expect(page.client.getState()).toEqual({ status: 'signed-out', notice: null });
  });

  it('two different passwords are caught here, before anything is sent', async () => {
    const { backend, token } = await backendWithLink();
    const page = await renderPage(<ResetPasswordPage token={token} />, { backend });

    await choose(page, STRONG_PASSWORD, `${STRONG_PASSWORD}!`);

    expect(screen.getByTestId('reset-error').textContent).toBe(PASSWORDS_DIFFER);
    expect(backend.count('/auth/password/reset')).toBe(0);
  });

  it('a refused password is explained, and the same link then works', async () => {
    const { backend, token } = await backendWithLink();
    const page = await renderPage(<ResetPasswordPage token={token} />, { backend });

    await choose(page, 'short');
    expect((await screen.findByText('password: must be at least 12 characters')).getAttribute('role')).toBe('alert');

    await page.user.clear(screen.getByLabelText('New password'));
    await page.user.clear(screen.getByLabelText('New password, again'));
    await choose(page, STRONG_PASSWORD);
    await expect.poll(currentAddress).toBe('/login?reset=1');
  });

  it('a spent or superseded link gets the generic sentence and a way to ask for a new one', async () => {
    const { backend, token } = await backendWithLink();
    await backend.fetch(new Request('http://api.test/auth/password/forgot', { method: 'POST', body: JSON.stringify({ email: EMAIL }) }));
    const page = await renderPage(<ResetPasswordPage token={token} />, { backend });

    await choose(page, STRONG_PASSWORD);

    expect((await screen.findByTestId('reset-error')).textContent).toBe(LINK_REFUSED);
    expect(screen.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe('/forgot-password');
    expect(screen.queryByTestId('reset-form')).toBeNull();
  });

  it('without a token there is no form, only the way to a new link', async () => {
    await renderPage(<ResetPasswordPage token={null} />);

    expect(screen.getByTestId('reset-error').textContent).toBe(NO_RESET_TOKEN);
    expect(screen.queryByLabelText('New password')).toBeNull();
  });
});
