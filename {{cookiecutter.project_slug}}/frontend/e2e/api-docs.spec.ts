// The backend's interactive docs (/docs, Swagger UI) in Chromium: the page loads nothing from
// another origin, "Authorize" signs in through POST /auth/token, and "Try it out" on
// GET /users/me answers 200 with the signed-in account.

import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { API_URL, SKIP_REASON, createUserWithCli } from './stack.ts';

test.skip(SKIP_REASON !== null, SKIP_REASON ?? '');

test('Swagger UI signs in with Authorize and calls /users/me, loading only this server', async ({ page }) => {
  const email = `docs-${randomBytes(4).toString('hex')}@example.com`;
  const password = `e2e-${randomBytes(18).toString('base64url')}`;
  createUserWithCli(email, password);
  const requested = new Set<string>();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'data:') requested.add(`${url.origin} ${request.method()} ${url.pathname}`);
  });

  await page.goto(`${API_URL}/docs`);
  await page.locator('.auth-wrapper').getByRole('button', { name: 'Authorize' }).click();
  const dialog = page.locator('.dialog-ux');
  await dialog.locator('#oauth_username').fill(email);
  await dialog.locator('#oauth_password').fill(password);
  await dialog.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
  // Swagger UI swaps the button for "Logout" once /auth/token has answered with a token.
  await expect(dialog.getByRole('button', { name: 'Remove authorization' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();

  const operation = page.locator('#operations-users-read_me');
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const answer = operation.locator('.live-responses-table');
  await expect(answer.locator('tr.response .response-col_status')).toHaveText('200');
  await expect(answer).toContainText(email);

  expect([...requested].filter((call) => !call.startsWith(`${API_URL} `))).toEqual([]);
  expect(requested).toContain(`${API_URL} POST /auth/token`);
  expect(requested).toContain(`${API_URL} GET /users/me`);
});
