// End-to-end proof of the auth flow in a real Chromium, against the real backend and Vite dev
// server (started by ./harness.mjs). Run with `make test-e2e` (or `BACKEND_PYTHON=... npm run e2e`).
//
// Every browser context runs with a paused page clock: the app's proactive refresh timer never
// fires by itself, so each test decides when tokens rotate, and the access token (a few seconds
// long here) really expires on the server while the page stays open.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  ACCESS_TOKEN_SECONDS,
  ARTIFACTS_DIR,
  BACKEND_DIR,
  findChromium,
  readEnvFile,
  startStack,
} from './harness.mjs';

const WAIT_MS = 10_000;
const TEST_TIMEOUT_MS = 60_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const chromiumPath = findChromium();
const backendPython = process.env.BACKEND_PYTHON ?? '';
let skipReason = chromiumPath.reason;
if (skipReason === null && backendPython === '') {
  skipReason = 'BACKEND_PYTHON is not set (run `make test-e2e`, which points it at the virtualenv)';
}
if (skipReason !== null && process.env.CI === 'true') {
  // Under CI a missing browser must fail the run, not pass it quietly.
  test('end-to-end prerequisites', () => assert.fail(`${skipReason} (CI=true: this is a failure)`));
}
if (skipReason !== null) console.log(`e2e: skipped: ${skipReason}`);

const registrationOpen = readEnvFile(join(BACKEND_DIR, '.env')).ALLOW_REGISTRATION === 'true';

function newEmail(label) {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

function newPassword() {
  return `e2e-${randomBytes(18).toString('base64url')}`;
}

describe('auth in a real browser', { skip: skipReason ?? false }, () => {
  let stack;
  let browser;

  before(async () => {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    stack = await startStack({ backendPython });
    browser = await chromium.launch({
      executablePath: chromiumPath.path,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  });

  /** A fresh browser profile (cookies, storage) with the page clock paused; see the top comment. */
  async function newContext() {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    await context.clock.install();
    await context.clock.pauseAt(Date.now() + 1_000);
    // Records whether the login form was ever rendered, even for an instant.
    await context.addInitScript(() => {
      window.__sawLoginForm = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="login-form"]') !== null) window.__sawLoginForm = true;
      }).observe(document, { childList: true, subtree: true });
    });
    return context;
  }

  /** Calls to the backend as the page made them: method, path and status. */
  function recordApiCalls(page) {
    const calls = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin === stack.apiUrl && response.request().method() !== 'OPTIONS') {
        calls.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
      }
    });
    return calls;
  }

  async function createAccount(page, email, password) {
    if (!registrationOpen) {
      await stack.createUser(email, password);
      return;
    }
    await page.goto(`${stack.appUrl}/register`);
    const form = page.getByTestId('register-form');
    await form.getByTestId('email').fill(email);
    await form.getByTestId('password').fill(password);
    await form.getByTestId('submit').click();
    await page.waitForURL(/\/login\?registered=1$/);
  }

  async function logIn(page, email, password) {
    if (!page.url().includes('/login')) await page.goto(`${stack.appUrl}/login`);
    const form = page.getByTestId('login-form');
    await form.getByTestId('email').fill(email);
    await form.getByTestId('password').fill(password);
    await form.getByTestId('submit').click();
    await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
  }

  async function signedInPage(label) {
    const context = await newContext();
    const page = await context.newPage();
    const email = newEmail(label);
    const password = newPassword();
    await createAccount(page, email, password);
    await logIn(page, email, password);
    return { context, page, email };
  }

  async function refreshCookie(context) {
    const cookies = await context.cookies(`${stack.apiUrl}/auth/refresh`);
    return cookies.find((cookie) => cookie.name === 'refresh_token');
  }

  // One signed-in page shared by the next four tests, which look at it from different angles.
  const shared = { context: null, page: null, email: '', accessTokens: [] };

  test(
    `${registrationOpen ? 'register' : 'account from the CLI'} → login → the protected page shows the email`,
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      shared.context = await newContext();
      const page = await shared.context.newPage();
      shared.page = page;
      page.on('response', async (response) => {
        const path = new URL(response.url()).pathname;
        if ((path === '/auth/login' || path === '/auth/refresh') && response.ok()) {
          const body = await response.json().catch(() => ({}));
          if (typeof body.access_token === 'string') shared.accessTokens.push(body.access_token);
        }
      });
      shared.email = newEmail('alice');
      const password = newPassword();

      await page.goto(stack.appUrl);
      await page.getByTestId('login-form').waitFor();
      assert.equal(new URL(page.url()).pathname, '/login', 'a signed-out visitor lands on /login');
      assert.equal(await page.getByTestId('register-link').count(), registrationOpen ? 1 : 0);

      await createAccount(page, shared.email, password);
      if (registrationOpen) await page.getByTestId('login-notice').waitFor();

      // A wrong password first: the form says so, and stays on the login page.
      await page.goto(`${stack.appUrl}/login`);
      const form = page.getByTestId('login-form');
      await form.getByTestId('email').fill(shared.email);
      await form.getByTestId('password').fill(`${password}-wrong`);
      await form.getByTestId('submit').click();
      await page.getByTestId('login-error').filter({ hasText: /\S/ }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'login-error.png'), fullPage: true });

      await logIn(page, shared.email, password);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await page.getByTestId('me-email').textContent(), shared.email);
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'logged-in.png'), fullPage: true });
    },
  );

  test('reload: the session comes back through the refresh cookie, no login form shown', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, email } = shared;
    assert.ok(page, 'needs the signed-in page of the first test');
    const calls = recordApiCalls(page);
    await page.reload();
    await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.evaluate(() => window.__sawLoginForm), false, 'the login form flashed');
    assert.ok(calls.includes('POST /auth/refresh 200'), `no refresh on reload: ${calls.join(', ')}`);
  });

  test('the access token is in no storage a script can read', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, context, accessTokens } = shared;
    assert.ok(page, 'needs the signed-in page of the first test');
    assert.ok(accessTokens.length >= 2, 'login and reload each returned an access token');
    const readable = await page.evaluate(() => {
      const dump = (storage) => Object.keys(storage).map((key) => `${key}=${storage.getItem(key)}`);
      return {
        local: dump(window.localStorage),
        session: dump(window.sessionStorage),
        cookie: document.cookie,
      };
    });
    const everything = JSON.stringify(readable) + JSON.stringify(await context.storageState());
    for (const token of accessTokens) {
      assert.ok(!everything.includes(token), 'an access token was found in storage');
    }
    assert.ok(!readable.cookie.includes('refresh_token'), 'document.cookie shows the refresh cookie');
  });

  test('the refresh cookie is HttpOnly and SameSite=Strict, scoped to /auth', { timeout: TEST_TIMEOUT_MS }, async () => {
    const cookie = await refreshCookie(shared.context);
    assert.ok(cookie, 'the browser holds a refresh_token cookie for the API');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/auth');
    // Development runs on plain http; ENVIRONMENT=production sets Secure (backend tests cover it).
    assert.equal(cookie.secure, false);
  });

  test('an access token that expires while the page is open is refreshed on the next call', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, email } = shared;
    assert.ok(page, 'needs the signed-in page of the first test');
    // The page clock is paused, so no proactive refresh: the token the page holds runs out.
    await page.waitForTimeout(ACCESS_TOKEN_SECONDS * 1000 + 1_500);
    const calls = recordApiCalls(page);
    await page.getByTestId('reload-me').click();
    await page.getByTestId('reload-me').filter({ hasText: 'Reload profile' }).waitFor();
    assert.deepEqual(calls, ['GET /users/me 401', 'POST /auth/refresh 200', 'GET /users/me 200']);
    assert.equal(await page.getByTestId('me-email').textContent(), email);
    assert.equal(await page.getByTestId('me-error').textContent(), '');
    assert.equal(await page.evaluate(() => window.__sawLoginForm), false);
  });

  test('logout → the protected page redirects to login, and a reload does not restore', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, context } = shared;
    assert.ok(page, 'needs the signed-in page of the first test');
    const logoutAnswer = page.waitForResponse(
      (response) => response.url() === `${stack.apiUrl}/auth/logout` && response.request().method() === 'POST',
    );
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await logoutAnswer).status(), 204);
    assert.equal(await refreshCookie(context), undefined, 'the refresh cookie was cleared');

    await page.goto(stack.appUrl);
    await page.getByTestId('login-form').waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    assert.equal(await page.getByTestId('me-page').count(), 0);
    await context.close();
  });

  test('a page from a foreign origin can neither read /users/me nor refresh with the victim cookie', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page, email } = await signedInPage('victim');
    const cookieBefore = await refreshCookie(context);
    assert.ok(cookieBefore);
    const auditBefore = stack.backendLog().split('\n').length;

    for (const origin of stack.foreignOrigins) {
      const attacker = await context.newPage();
      await attacker.goto(origin);
      const outcome = await attacker.evaluate(async (api) => {
        const attempt = async (path, init) => {
          try {
            const response = await fetch(`${api}${path}`, { credentials: 'include', ...init });
            return `read ${response.status}: ${await response.text()}`;
          } catch (error) {
            return `blocked (${error.name})`;
          }
        };
        const simplePost = await fetch(`${api}/auth/refresh`, {
          method: 'POST',
          credentials: 'include',
          mode: 'no-cors',
        }).then((response) => `${response.type} ${response.status}`, (error) => `blocked (${error.name})`);
        return {
          me: await attempt('/users/me', {}),
          refresh: await attempt('/auth/refresh', { method: 'POST', headers: { 'X-Requested-With': 'XMLHttpRequest' } }),
          refreshWithoutHeader: await attempt('/auth/refresh', { method: 'POST' }),
          // A form-like request the page cannot read: the browser sends it, the server must refuse.
          simplePost,
        };
      }, stack.apiUrl);
      assert.equal(outcome.me, 'blocked (TypeError)', `${origin}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.refresh, 'blocked (TypeError)', `${origin}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.refreshWithoutHeader, 'blocked (TypeError)', `${origin}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.simplePost, 'opaque 0', `${origin}: ${JSON.stringify(outcome)}`);
      await attacker.close();
    }

    // Server side nothing changed: no rotation, no revoked family, same cookie, session alive.
    const auditDuring = stack.backendLog().split('\n').slice(auditBefore - 1).join('\n');
    assert.ok(!auditDuring.includes('"refresh_succeeded"'), auditDuring);
    assert.ok(!auditDuring.includes('reuse'), auditDuring);
    assert.deepEqual(await refreshCookie(context), cookieBefore);
    const calls = recordApiCalls(page);
    await page.reload();
    await page.getByTestId('me-email').filter({ hasText: email }).waitFor();
    assert.ok(calls.includes('POST /auth/refresh 200'), calls.join(', '));
    await context.close();
  });

  test('two tabs: logging out in one ends the session in the other', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page: first, email } = await signedInPage('tabs');
    const second = await context.newPage();
    await second.goto(stack.appUrl);
    await second.getByTestId('me-email').filter({ hasText: email }).waitFor();

    await first.getByTestId('logout').click();
    await first.getByTestId('login-form').waitFor();
    await second.getByTestId('login-form').waitFor();
    assert.equal(new URL(second.url()).pathname, '/login');
    assert.match((await second.getByTestId('login-notice').textContent()) ?? '', /another tab/);
    await second.reload();
    await second.getByTestId('login-form').waitFor();
    assert.equal(await second.getByTestId('me-page').count(), 0);
    await context.close();
  });
});
