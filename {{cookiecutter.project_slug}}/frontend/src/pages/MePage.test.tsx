// @vitest-environment happy-dom
// The account page shows whether the address is verified, and leads to the account's pages.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../auth/test-support/fake-backend';
import { MePage } from './MePage';
import { EMAIL, renderPage } from './test-support/render-page';

describe('MePage', () => {
  it('shows the email, that it is verified, and links to change the password and see the sessions', async () => {
    await renderPage(<MePage />, { signedIn: true });

    expect((await screen.findByTestId('me-email')).textContent).toBe(EMAIL);
    expect(screen.getByTestId('me-email-verified').textContent).toBe('Yes');
    expect(screen.getByRole('link', { name: 'Change password' }).getAttribute('href')).toBe('/change-password');
    expect(screen.getByRole('link', { name: 'Your sessions' }).getAttribute('href')).toBe('/sessions');
  });

  it('says an unproven address is not verified yet, promising no mail', async () => {
    // A project without verification mails no link; a password reset proves the address too.
    const backend = new FakeBackend();
    const [user] = backend.users;
    if (user !== undefined) user.verified = false;
    await renderPage(<MePage />, { backend, signedIn: true });

    expect((await screen.findByTestId('me-email-verified')).textContent).toBe('Not yet');
  });

  it('leaves the line out when the server does not say', async () => {
    const backend = new FakeBackend();
    backend.omitEmailVerified = true;
    await renderPage(<MePage />, { backend, signedIn: true });

    await screen.findByTestId('me-email');
    expect(screen.queryByTestId('me-email-verified')).toBeNull();
  });
});
