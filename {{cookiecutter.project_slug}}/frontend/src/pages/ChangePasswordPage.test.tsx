// @vitest-environment happy-dom
// Changing the password while signed in: the current one is required, other sessions end, this
// one stays.

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { WRONG_CURRENT_PASSWORD } from '../auth/test-support/fake-backend';
import { ChangePasswordPage, PASSWORD_CHANGED } from './ChangePasswordPage';
import { PASSWORDS_DIFFER } from './new-password';
import { PASSWORD, STRONG_PASSWORD, renderPage, type RenderedPage } from './test-support/render-page';

async function change(page: RenderedPage, current: string, next: string, repeat = next): Promise<void> {
  await page.user.type(screen.getByLabelText('Current password'), current);
  await page.user.type(screen.getByLabelText('New password'), next);
  await page.user.type(screen.getByLabelText('New password, again'), repeat);
  await page.user.click(screen.getByTestId('submit'));
}

describe('ChangePasswordPage', () => {
  it('changes the password, says the other sessions ended, and keeps this one', async () => {
    const page = await renderPage(<ChangePasswordPage />, { signedIn: true });
    const other = page.backend.seedOtherSession();

    await change(page, PASSWORD, STRONG_PASSWORD);

    expect((await screen.findByTestId('change-password-done')).textContent).toBe(PASSWORD_CHANGED);
    expect(page.backend.liveSessions()).not.toContain(other);
    expect(page.backend.liveSessions()).toHaveLength(1);
    expect(page.client.getState().status).toBe('signed-in');
    expect(screen.getByLabelText<HTMLInputElement>('Current password').value).toBe('');
    expect(screen.getByLabelText<HTMLInputElement>('New password').value).toBe('');
  });

  it("a wrong current password is the server's sentence; nothing changes", async () => {
    const page = await renderPage(<ChangePasswordPage />, { signedIn: true });

    await change(page, 'not my password', STRONG_PASSWORD);

    expect((await screen.findByTestId('change-password-error')).textContent).toBe(WRONG_CURRENT_PASSWORD);
    expect(page.backend.users[0]?.password).toBe(PASSWORD);
    expect(screen.queryByTestId('change-password-done')).toBeNull();
  });

  it('two different new passwords are caught before anything is sent', async () => {
    const page = await renderPage(<ChangePasswordPage />, { signedIn: true });

    await change(page, PASSWORD, STRONG_PASSWORD, 'something else entirely');

    expect(screen.getByTestId('change-password-error').textContent).toBe(PASSWORDS_DIFFER);
    expect(page.backend.count('/auth/password/change')).toBe(0);
  });
});
