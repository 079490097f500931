// End-to-end proof of the auth flow in a real Chromium, against the real backend and Vite dev
// server (started by playwright.config.ts). Run with `make test-e2e`.
//
// Every browser context runs with a paused page clock: the app's proactive refresh timer never
// fires by itself, so each test decides when tokens rotate, and the access token (a few seconds
// long here) really expires on the server while the page stays open.

import { join } from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Cookie, type Page } from '@playwright/test';
import { createAccount, logIn, newContext, newEmail, newPassword, pathOf, recordApiCalls } from './browser.ts';
import {
  ACCESS_TOKEN_SECONDS,
  API_URL,
  APP_URL,
  ARTIFACTS_DIR,
  FOREIGN_ORIGINS,
  PROJECT_NAME,
  REGISTRATION_OPEN,
  SKIP_REASON,
  backendLog,
} from './stack.ts';

test.skip(SKIP_REASON !== null, SKIP_REASON ?? '');

async function signedInPage(browser: Browser, label: string) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const email = newEmail(label);
  const password = newPassword();
  await createAccount(page, email, password);
  await logIn(page, email, password);
  return { context, page, email };
}

async function refreshCookie(context: BrowserContext): Promise<Cookie | undefined> {
  const cookies = await context.cookies(`${API_URL}/auth/refresh`);
  return cookies.find((cookie) => cookie.name === 'refresh_token');
}

// One signed-in page shared by the next six tests, which look at it from different angles, in order.
test.describe('one signed-in page', () => {
  test.describe.configure({ mode: 'serial' });

  let context: BrowserContext;
  let page: Page;
  let email = '';
  const accessTokens: string[] = [];

  test.beforeAll(async ({ browser }) => {
    context = await newContext(browser);
    page = await context.newPage();
    page.on('response', async (response) => {
      const path = new URL(response.url()).pathname;
      if ((path === '/auth/login' || path === '/auth/refresh') && response.ok()) {
        const body: unknown = await response.json().catch(() => ({}));
        const token = (body as { access_token?: unknown }).access_token;
        if (typeof token === 'string') accessTokens.push(token);
      }
    });
  });

  test.afterAll(async () => {
    await context.close();
  });

  test(`${REGISTRATION_OPEN ? 'register' : 'account from the CLI'} → login → the protected page shows the email`, async () => {
    email = newEmail('alice');
    const password = newPassword();

    await page.goto('/');
    await page.getByTestId('login-form').waitFor();
    expect(pathOf(page), 'a signed-out visitor lands on /login').toBe('/login');
    // The project's name, whatever characters it holds, as text in the header and the title.
    await expect(page).toHaveTitle(PROJECT_NAME);
    await expect(page.getByTestId('brand')).toHaveText(PROJECT_NAME);
    await expect(page.getByTestId('register-link')).toHaveCount(REGISTRATION_OPEN ? 1 : 0);

    await createAccount(page, email, password);
    if (REGISTRATION_OPEN) await page.getByTestId('login-notice').waitFor();

    // A wrong password first: the form says so, and stays on the login page.
    await page.goto('/login');
    const form = page.getByTestId('login-form');
    await form.getByTestId('email').fill(email);
    await form.getByTestId('password').fill(`${password}-wrong`);
    await form.getByTestId('submit').click();
    await expect(page.getByTestId('login-error')).toHaveText(/\S/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'login-error.png'), fullPage: true });

    await logIn(page, email, password);
    expect(pathOf(page)).toBe('/');
    await expect(page.getByTestId('me-email')).toHaveText(email);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'logged-in.png'), fullPage: true });
  });

  test('reload: the session comes back through the refresh cookie, no login form shown', async () => {
    const calls = recordApiCalls(page);
    await page.reload();
    await expect(page.getByTestId('me-email')).toHaveText(email);
    expect(pathOf(page)).toBe('/');
    expect(await page.evaluate(() => window.__sawLoginForm), 'the login form flashed').toBe(false);
    expect(calls, 'a refresh on reload').toContain('POST /auth/refresh 200');
  });

  test('the access token is in no storage a script can read', async () => {
    expect(accessTokens.length, 'login and reload each returned an access token').toBeGreaterThanOrEqual(2);
    const readable = await page.evaluate(() => {
      const dump = (storage: Storage) => Object.keys(storage).map((key) => `${key}=${storage.getItem(key)}`);
      return { local: dump(window.localStorage), session: dump(window.sessionStorage), cookie: document.cookie };
    });
    const everything = JSON.stringify(readable) + JSON.stringify(await context.storageState());
    for (const token of accessTokens) {
      expect(everything.includes(token), 'an access token was found in storage').toBe(false);
    }
    expect(readable.cookie, 'document.cookie shows the refresh cookie').not.toContain('refresh_token');
  });

  test('the refresh cookie is HttpOnly and SameSite=Strict, scoped to /auth', async () => {
    const cookie = await refreshCookie(context);
    expect(cookie, 'the browser holds a refresh_token cookie for the API').toBeDefined();
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(cookie?.path).toBe('/auth');
    // Development runs on plain http; ENVIRONMENT=production sets Secure (backend tests cover it).
    expect(cookie?.secure).toBe(false);
  });

  test('an access token that expires while the page is open is refreshed on the next call', async () => {
    // The page clock is paused, so no proactive refresh: the token the page holds runs out.
    await page.waitForTimeout(ACCESS_TOKEN_SECONDS * 1000 + 1_500);
    const calls = recordApiCalls(page);
    await page.getByTestId('reload-me').click();
    await expect(page.getByTestId('reload-me')).toHaveText('Reload profile');
    expect(calls).toEqual(['GET /users/me 401', 'POST /auth/refresh 200', 'GET /users/me 200']);
    await expect(page.getByTestId('me-email')).toHaveText(email);
    await expect(page.getByTestId('me-error')).toHaveText('');
    expect(await page.evaluate(() => window.__sawLoginForm)).toBe(false);
  });

  test('logout → the protected page redirects to login, and a reload does not restore', async () => {
    const logoutAnswer = page.waitForResponse(
      (response) => response.url() === `${API_URL}/auth/logout` && response.request().method() === 'POST',
    );
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    expect(pathOf(page)).toBe('/login');
    expect((await logoutAnswer).status()).toBe(204);
    expect(await refreshCookie(context), 'the refresh cookie was cleared').toBeUndefined();

    await page.goto('/');
    await page.getByTestId('login-form').waitFor();
    expect(pathOf(page)).toBe('/login');
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    await expect(page.getByTestId('me-page')).toHaveCount(0);
  });
});

test('a page from a foreign origin can neither read /users/me nor refresh with the victim cookie', async ({ browser }) => {
  const { context, page, email } = await signedInPage(browser, 'victim');
  const cookieBefore = await refreshCookie(context);
  expect(cookieBefore).toBeDefined();
  const logBefore = backendLog().length;

  for (const origin of FOREIGN_ORIGINS) {
    const attacker = await context.newPage();
    await attacker.goto(origin);
    const outcome = await attacker.evaluate(async (api) => {
      const attempt = async (path: string, init: RequestInit) => {
        try {
          const response = await fetch(`${api}${path}`, { credentials: 'include', ...init });
          return `read ${response.status}: ${await response.text()}`;
        } catch (error) {
          return `blocked (${(error as Error).name})`;
        }
      };
      const simplePost = await fetch(`${api}/auth/refresh`, {
        method: 'POST',
        credentials: 'include',
        mode: 'no-cors',
      }).then(
        (response) => `${response.type} ${response.status}`,
        (error: unknown) => `blocked (${(error as Error).name})`,
      );
      return {
        me: await attempt('/users/me', {}),
        refresh: await attempt('/auth/refresh', { method: 'POST', headers: { 'X-Requested-With': 'XMLHttpRequest' } }),
        refreshWithoutHeader: await attempt('/auth/refresh', { method: 'POST' }),
        // A form-like request the page cannot read: the browser sends it, the server must refuse.
        simplePost,
      };
    }, API_URL);
    const seen = `${origin}: ${JSON.stringify(outcome)}`;
    expect(outcome.me, seen).toBe('blocked (TypeError)');
    expect(outcome.refresh, seen).toBe('blocked (TypeError)');
    expect(outcome.refreshWithoutHeader, seen).toBe('blocked (TypeError)');
    expect(outcome.simplePost, seen).toBe('opaque 0');
    await attacker.close();
  }

  // Server side nothing changed: no rotation, no revoked family, same cookie, session alive.
  const logDuring = backendLog().slice(logBefore);
  expect(logDuring).not.toContain('"refresh_succeeded"');
  expect(logDuring).not.toContain('reuse');
  expect(await refreshCookie(context)).toEqual(cookieBefore);
  const calls = recordApiCalls(page);
  await page.reload();
  await expect(page.getByTestId('me-email')).toHaveText(email);
  expect(calls).toContain('POST /auth/refresh 200');
  await context.close();
});

test('two tabs: logging out in one ends the session in the other', async ({ browser }) => {
  const { context, page: first, email } = await signedInPage(browser, 'tabs');
  const second = await context.newPage();
  await second.goto(APP_URL);
  await expect(second.getByTestId('me-email')).toHaveText(email);

  await first.getByTestId('logout').click();
  await first.getByTestId('login-form').waitFor();
  await second.getByTestId('login-form').waitFor();
  expect(pathOf(second)).toBe('/login');
  await expect(second.getByTestId('login-notice')).toHaveText(/another tab/);
  await second.reload();
  await second.getByTestId('login-form').waitFor();
  await expect(second.getByTestId('me-page')).toHaveCount(0);
  await context.close();
});
