// End-to-end proof of the account lifecycle in a real Chromium: the verification mail and its link,
// a forgotten password reset through the mailed link, and one browser ending another's session.
// Mail is read from the run's own SMTP catcher, as a mailbox would receive it.

import { expect, test } from '@playwright/test';
import {
  createAccount,
  logIn,
  newContext,
  newEmail,
  newPassword,
  openMailedLink,
  pathOf,
  recordApiCalls,
} from './browser.ts';
import { caughtMail, linkInMail } from './mailbox.ts';
import { ACCESS_TOKEN_SECONDS, API_URL, REGISTRATION_OPEN, SKIP_REASON, VERIFICATION_REQUIRED } from './stack.ts';

test.skip(SKIP_REASON !== null, SKIP_REASON ?? '');

// Which registration flow this bake has decides which test exists: a bake without registration
// has neither (its accounts come from the operator command, as auth.spec.ts shows).
if (REGISTRATION_OPEN && VERIFICATION_REQUIRED) {
  test('register → the verification mail → its link → sign in', async ({ browser }) => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = newEmail('verify');
    const password = newPassword();
    const before = caughtMail().length;

    await page.goto('/register');
    const form = page.getByTestId('register-form');
    await form.getByTestId('email').fill(email);
    await form.getByTestId('password').fill(password);
    await form.getByTestId('submit').click();
    await expect(page.getByTestId('check-email-address')).toHaveText(email);

    // Before the link is opened, the right password is refused with the reason, and a new link offered.
    await page.goto('/login');
    const login = page.getByTestId('login-form');
    await login.getByTestId('email').fill(email);
    await login.getByTestId('password').fill(password);
    await login.getByTestId('submit').click();
    await expect(page.getByTestId('login-error')).toContainText('not verified');
    await expect(page.getByTestId('resend-verification')).toBeVisible();

    await openMailedLink(page, email, 'verify-email', before);
    await page.getByTestId('verify-done').waitFor();
    expect(page.url(), 'the token was taken out of the address bar').not.toContain('token');
    await page.getByTestId('login-link').click();
    await expect(page.getByTestId('login-notice')).toContainText('verified');
    await logIn(page, email, password);
    await expect(page.getByTestId('me-email-verified')).toHaveText('Yes');

    // The link worked once: opening it again says so.
    await openMailedLink(page, email, 'verify-email', before);
    await expect(page.getByTestId('verify-error')).toContainText('does not work any more');
    await context.close();
  });
}

if (REGISTRATION_OPEN && !VERIFICATION_REQUIRED) {
  test('without verification, registering signs in at once, unverified, and sends no link', async ({ browser }) => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = newEmail('unverified');
    const password = newPassword();
    const before = caughtMail().length;

    await createAccount(page, email, password);
    await logIn(page, email, password);
    await expect(page.getByTestId('me-email-verified')).toHaveText('Not yet');

    // A reset link, asked for after registering, is the first and only mail to the address: a
    // verification mail, queued earlier by the same outbox, would have arrived before it.
    const request = await context.request.post(`${API_URL}/auth/password/forgot`, { data: { email } });
    expect(request.status()).toBe(202);
    await linkInMail(email, 'reset-password', before);
    expect(caughtMail().slice(before).filter((mail) => mail.to === email)).toHaveLength(1);
    await context.close();
  });
}

test('forgot password → the reset link from the mail → a new password → the old one is refused', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const email = newEmail('forgot');
  const oldPassword = newPassword();
  await createAccount(page, email, oldPassword);
  const before = caughtMail().length;

  await page.goto('/login');
  await page.getByTestId('forgot-link').click();
  await page.getByTestId('forgot-form').getByTestId('email').fill(email);
  await page.getByTestId('forgot-form').getByTestId('submit').click();
  await page.getByTestId('forgot-done').waitFor();

  await openMailedLink(page, email, 'reset-password', before);
  await page.getByTestId('reset-form').waitFor();
  expect(page.url(), 'the token was taken out of the address bar').not.toContain('token');
  const fresh = newPassword();
  await page.getByTestId('new-password').fill(fresh);
  await page.getByTestId('repeat-password').fill(fresh);
  await page.getByTestId('reset-form').getByTestId('submit').click();
  await page.waitForURL(/\/login\?reset=1$/);
  await expect(page.getByTestId('login-notice')).toContainText('password is changed');

  const login = page.getByTestId('login-form');
  await login.getByTestId('email').fill(email);
  await login.getByTestId('password').fill(oldPassword);
  await login.getByTestId('submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('The email or password is incorrect.');
  await logIn(page, email, fresh);
  expect(pathOf(page)).toBe('/');
  await context.close();
});

test('two browsers: ending the other session from the sessions page signs it out at its next refresh', async ({ browser }) => {
  const email = newEmail('sessions');
  const password = newPassword();
  const mine = await newContext(browser);
  const theirs = await newContext(browser);
  const page = await mine.newPage();
  const other = await theirs.newPage();
  await createAccount(page, email, password);
  await logIn(page, email, password);
  await logIn(other, email, password);

  await page.goto('/sessions');
  await expect(page.getByTestId('session')).toHaveCount(2);
  const current = page.locator('[data-testid="session"][data-current="true"]');
  await expect(current.getByTestId('this-browser')).toBeVisible();
  await expect(current).toContainText('Chrome');
  await page.locator('[data-testid="session"][data-current="false"]').getByTestId('end-session').click();
  await expect(page.getByTestId('sessions-notice')).toHaveText('That session is ended.');
  await expect(page.getByTestId('session')).toHaveCount(1);

  // The other browser still holds an access token; once it runs out, its refresh is refused.
  await other.waitForTimeout(ACCESS_TOKEN_SECONDS * 1000 + 1_500);
  const calls = recordApiCalls(other);
  await other.getByTestId('reload-me').click();
  await other.getByTestId('login-form').waitFor();
  expect(calls).toEqual(['GET /users/me 401', 'POST /auth/refresh 401']);
  await expect(other.getByTestId('login-notice')).toContainText('session has ended');

  // This browser's own session is untouched.
  await page.reload();
  await expect(page.getByTestId('session')).toHaveCount(1);
  await mine.close();
  await theirs.close();
});
